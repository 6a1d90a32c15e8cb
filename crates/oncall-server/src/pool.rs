//! [`StorePool`]: the server's connections to the results store, each used
//! by one blocking task at a time, at most [`MAX_STORE_CONNECTIONS`] at
//! once.

use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use oncall_store::Store;

use crate::error::ApiError;

/// The most store connections the server's requests hold at once (the
/// workers hold their own). Requests past it wait for one.
pub const MAX_STORE_CONNECTIONS: usize = 8;

/// Connections to one store, opened when first needed and kept.
#[derive(Debug)]
pub(crate) struct StorePool {
    location: String,
    idle: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
}

impl StorePool {
    /// A pool for the store at `location`, with `first` (already open)
    /// ready in it.
    pub(crate) fn new(location: String, first: Store) -> StorePool {
        StorePool {
            location,
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(MAX_STORE_CONNECTIONS)),
        }
    }

    /// Drops every idle connection. The server calls it outside its async
    /// runtime: closing a PostgreSQL connection blocks, which must not
    /// happen on an async thread.
    pub(crate) fn close(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop(idle);
    }

    /// Runs `work` with a connection, on a blocking thread. A connection
    /// whose work failed because the store was unreachable is dropped, so
    /// the next request opens a fresh one.
    pub(crate) async fn with<T, F>(self: &Arc<Self>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        // The permit goes with the work, not the request: a request that
        // times out leaves its query running, still counted.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the store pool is closed"))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let mut store = match taken {
                Some(store) => store,
                None => Store::open(&pool.location)?,
            };
            let result = work(&mut store);
            let broken =
                matches!(&result, Err(error) if error.status() == StatusCode::SERVICE_UNAVAILABLE);
            if !broken {
                pool.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(store);
            }
            result
        })
        .await
        .map_err(|error| ApiError::internal(format!("a store query stopped: {error}")))?
    }
}
