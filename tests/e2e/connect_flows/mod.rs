//! Structural checks of the Amazon Connect flows in `infra/connect/` (Flow
//! language, version 2019-10-30): the graph is well formed, the adapter Lambda
//! is invoked as its contract says, every Lambda invocation fails open,
//! recording is off on every path that places or connects a call, and a
//! callback is never stranded: the agent, then each of the lease's fallbacks,
//! then the fallback queue, every wait bounded. No emulator, no AWS: the flow
//! files are read and walked as JSON.
//!
//! References (Amazon Connect Flow language, "Actions"): CheckMetricData
//! ("If the MetricType is NumberOfAgents* then the only supported condition is
//! NumberGreaterThan 0"; usable in inbound, transfer and customer queue flows),
//! TransferParticipantToThirdParty (`ThirdPartyConnectionTimeLimitSeconds`
//! 0 to 600, "Only used if ContinueFlowExecution is not False"; errors
//! `ConnectionTimeLimitExceeded`, `CallFailed`, `NoMatchingError`; contact,
//! transfer and customer queue flows), MessageParticipantIteratively
//! (`InterruptFrequencySeconds`, result `MessagesInterrupted`; customer queue
//! and hold flows), DequeueContactAndTransferToQueue (customer queue flow only;
//! `QueueAtCapacity`, `NoMatchingError`), UpdateContactEventHooks
//! (`CustomerQueue`), UpdateContactAttributes ("either all attributes are set
//! or none"). The admin guide's Loop prompts page: "Always use an interruption
//! period that's greater than 20 seconds".

mod callback;
mod model;
mod outbound;
mod render;
mod structure;
