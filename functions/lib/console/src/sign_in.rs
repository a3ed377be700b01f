//! Signing in: the form, and its answer. The tokens go to the tab's
//! `sessionStorage` (a `<meta>` the script reads, then leaves the page),
//! never a cookie: the API reads them from `Authorization`.

use http::{Response, StatusCode};
use maud::html;

use lifeline_app::ports::{ConsoleSignIn, SignInError};

use crate::answer::html as html_answer;
use crate::form::Form;
use crate::layout::page as document;

pub fn page_with(status: StatusCode, message: Option<&str>) -> Response<String> {
    let body = document(
        "Sign in",
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form method="post" action="/console/sign-in" {
                p {
                    label for="username" { "User name" } br;
                    input #username name="username" autocomplete="username" required;
                }
                p {
                    label for="password" { "Password" } br;
                    input #password name="password" type="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        },
    );
    html_answer(status, body.into_string())
}

pub fn page(message: Option<&str>) -> Response<String> {
    page_with(StatusCode::OK, message)
}

pub async fn submit(sign_in: &dyn ConsoleSignIn, body: &[u8]) -> Response<String> {
    let form = Form::parse(body);
    let (username, password) = (form.get("username"), form.raw("password").unwrap_or(""));
    if username.is_empty() || password.is_empty() {
        return page_with(
            StatusCode::BAD_REQUEST,
            Some("Enter your user name and password."),
        );
    }
    match sign_in.sign_in(username, password).await {
        Ok(tokens) => html_answer(StatusCode::OK, signed_in_page(&tokens.id_token)),
        Err(SignInError::WrongCredentials) => page_with(
            StatusCode::UNAUTHORIZED,
            Some("Wrong user name or password."),
        ),
        Err(SignInError::Challenge(_)) => page_with(
            StatusCode::FORBIDDEN,
            Some("Your account needs attention first (a new password or a second factor): ask an administrator."),
        ),
        Err(SignInError::Unavailable(_)) => page_with(
            StatusCode::SERVICE_UNAVAILABLE,
            Some("Sign-in is unavailable for a moment: try again."),
        ),
    }
}

/// The page after a sign-in: the script keeps the token for this tab and
/// goes to the board.
fn signed_in_page(id_token: &str) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="lifeline-token" content=(id_token);
                title { "Signed in — Lifeline" }
                script src="/console/app.js" {}
            }
            body { p { "Signed in. " a href="/console/" { "Go to the incidents" } } }
        }
    }
    .into_string()
}
