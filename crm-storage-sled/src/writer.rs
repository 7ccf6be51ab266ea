//! The store's writer thread: every commit is checked, applied and flushed there.
//!
//! [`Store::commit`](crm_core::store::Store::commit) hands its commit to this thread and awaits
//! the answer, so the task that committed is free while sled works: an import reads, checks
//! and builds its next batch while the previous one is applied and flushed (the overlap the SQL
//! adapters get from their engines' own threads), and the committing task's thread is not
//! blocked by the commit's checks, its batch or its fsync. (Reads still wait for the commit
//! lock while a commit is applied, as before.)
//!
//! The thread applies commits in the order they arrive, one at a time under the store's commit
//! lock (as before it existed: the checks still see every earlier commit and no later one).
//! With [`Durability::FlushEachCommit`] it applies every commit that is already waiting, up to
//! [`GROUP_MAX`], then flushes once and answers them all: commits from concurrent tasks share
//! one fsync (a group commit), and each is still answered only once it is on disk.
//!
//! A commit whose future is dropped after it was handed over is still applied (an answer no one
//! waits for is dropped): like a commit whose acknowledgement is lost, it is wholly written or
//! wholly absent, never half. Dropping the store closes the queue and waits for the thread to
//! finish the commits already handed over, so the directory is released when the drop returns.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use crm_core::store::Commit;
use crm_core::{Error, Result};
use futures::channel::oneshot;

use crate::{Durability, Shared};

/// The most commits applied before one shared flush.
pub(crate) const GROUP_MAX: usize = 64;

/// A commit handed to the writer thread, with where its answer goes.
struct Job {
    commit: Commit,
    done: oneshot::Sender<Result<()>>,
}

/// The handle of the writer thread.
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread of a store.
    pub(crate) fn start(shared: Arc<Shared>) -> Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("crm-sled-writer".into())
            .spawn(move || run(&shared, &queue))
            .map_err(Error::backend)?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Hands `commit` to the writer thread and waits for its outcome.
    pub(crate) async fn commit(&self, commit: Commit) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(Job { commit, done })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| {
            Error::backend_msg(
                "sled store: the writer thread stopped before answering; the commit may or may                  not have been applied",
            )
        })?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once the commits in it are applied.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // The loop catches panics, so the thread ends normally; nothing to report.
            let _ = thread.join();
        }
    }
}

fn stopped() -> Error {
    Error::backend_msg("sled store: the writer thread has stopped; the commit was not applied")
}

/// The writer thread's loop: until the queue closes, take a commit and any already waiting
/// behind it, apply them one by one, flush once, answer each.
fn run(shared: &Shared, queue: &mpsc::Receiver<Job>) {
    let flush_each = shared.options.durability == Durability::FlushEachCommit;
    while let Ok(first) = queue.recv() {
        let mut answers = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            let outcome = catch_unwind(AssertUnwindSafe(|| shared.apply(&job.commit)))
                .unwrap_or_else(|_| {
                    // The commit lock is poisoned; the next commit or read drops the record
                    // caches and reads sled again (`Shared::write`).
                    Err(Error::backend_msg(
                        "sled store: the adapter panicked while applying the commit",
                    ))
                });
            answers.push((job.done, outcome));
            next = if flush_each && answers.len() < GROUP_MAX {
                queue.try_recv().ok()
            } else {
                None
            };
        }
        if flush_each && answers.iter().any(|(_, outcome)| outcome.is_ok()) {
            let flushed = catch_unwind(AssertUnwindSafe(|| shared.flush()))
                .unwrap_or_else(|_| Err(Error::backend_msg("sled panicked while flushing")));
            if let Err(e) = flushed {
                // Applied but not known to be on disk: none of them is acknowledged.
                for (_, outcome) in &mut answers {
                    if outcome.is_ok() {
                        *outcome = Err(Error::backend_msg(format!(
                            "sled store: the commit was applied but flushing it failed: {e}"
                        )));
                    }
                }
            }
        }
        for (done, outcome) in answers {
            // The committing future may have been dropped; then no one wants the answer.
            let _ = done.send(outcome);
        }
    }
}
