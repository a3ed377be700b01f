// Starts AWS DynamoDB Local listening on 127.0.0.1 only.
//
// DynamoDB Local (3.3.1) has no bind-address option: ServerRunner builds
// `new org.eclipse.jetty.server.Server(port)`, whose connector listens on the
// wildcard address (every interface). This launcher builds the same server from
// the same command-line arguments, sets the host of its Jetty connector(s) to
// -Dlifeline.dynamodb.host (default 127.0.0.1) before it starts, and starts it.
// The field it reaches into (DynamoDBProxyServer.server) is private: if a future
// DynamoDB Local renames it, this fails loudly and emulators.sh falls back to the
// plain jar (wildcard bind) with a warning.
//
// Compiled by infra/local/emulators.sh into infra/local/.cache/ against the jar:
//   javac -cp 'DynamoDBLocal.jar:DynamoDBLocal_lib/*' -d OUT DynamoDBLocalLoopback.java
// and run from the DynamoDB Local folder:
//   java -Djava.library.path=./DynamoDBLocal_lib -cp 'OUT:DynamoDBLocal.jar:DynamoDBLocal_lib/*' \
//     DynamoDBLocalLoopback -inMemory -port 8000
// Telemetry is never configured here, so none is sent (as with -disableTelemetry).

import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class DynamoDBLocalLoopback {
    private DynamoDBLocalLoopback() {}

    public static void main(String[] args) throws Exception {
        String host = System.getProperty("lifeline.dynamodb.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);

        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);

        int connectors = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost(host);
                connectors++;
            }
        }
        if (connectors == 0) {
            throw new IllegalStateException("DynamoDB Local's Jetty server has no ServerConnector to bind");
        }

        proxy.start(); // Jetty's threads keep the JVM running after main returns.
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ServerConnector sc = (ServerConnector) connector;
                System.out.println("DynamoDBLocalLoopback: listening on " + sc.getHost() + ":" + sc.getLocalPort());
            }
        }
    }
}
