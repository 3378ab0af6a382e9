//! Group commit of case transitions: requests queue here, one task applies whatever has queued as
//! one transaction ([`custodia_store::Store::act_on_cases`], each in its own savepoint) and answers
//! each caller. Under load many transitions share one commit (one fsync); alone, a transition
//! commits at once. The transitions arrive checked by the application
//! ([`custodia_app::App::prepare_transition`]) and are decided by its [`custodia_app::cases::decide`].

use custodia_store::cases::{CaseCall, CaseRowOutcome};
use custodia_store::prelude::*;
use custodia_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most transitions in one commit.
pub const MAX_BATCH: usize = 256;
/// Most transitions waiting.
pub const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<CaseRowOutcome, StoreError>>;

/// The sending side, held by the state.
#[derive(Clone, Debug)]
pub struct Committer {
    queue: mpsc::Sender<(CaseCall, Reply)>,
}

/// The receiving side, run by [`run`].
#[derive(Debug)]
pub struct Queue(mpsc::Receiver<(CaseCall, Reply)>);

/// A committer and its queue.
pub fn channel() -> (Committer, Queue) {
    let (queue, receiver) = mpsc::channel(QUEUE);
    (Committer { queue }, Queue(receiver))
}

impl Committer {
    /// Applies one transition, committed with whatever else is queued.
    pub async fn act(&self, call: CaseCall) -> Result<CaseRowOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((call, reply))
            .await
            .map_err(|_| StoreError::Journal("the transition queue is closed".into()))?;
        answer.await.map_err(|_| StoreError::Journal("the transition was dropped".into()))?
    }
}

/// Applies queued transitions in batches until every [`Committer`] is gone; `changed` is notified
/// after each commit (the alert scheduler evaluates at once).
pub async fn run(store: Store, Queue(mut queue): Queue, changed: std::sync::Arc<tokio::sync::Notify>) {
    let mut batch: Vec<(CaseCall, Reply)> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let calls: Vec<CaseCall> = batch.iter().map(|(c, _)| c.clone()).collect();
        let started = crate::clock::instant();
        let result = store.act_on_cases(&calls, &custodia_app::cases::decide).await;
        tracing::debug!(size = calls.len(), elapsed_us = started.elapsed().as_micros() as u64, "group commit");
        match result {
            Ok(results) => {
                changed.notify_one();
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "a batch of transitions failed");
                let message = e.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(StoreError::Journal(message.clone())));
                }
            }
        }
        batch.clear();
    }
}
