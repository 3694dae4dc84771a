//! Durable storage: state that survives a node's crash and restart.
//!
//! A node keeps what must survive (a Raft term, vote and log, say) with
//! [`Storage::put`] and reads it back after a restart with [`Storage::get`]. Values
//! are JSON. Where they live is the host's choice: in memory owned by the simulation
//! (which outlives the crashed node), or in a file per node in the directory named
//! by `MAELSTROM_STORAGE_DIR` when the node runs as a process. Keys starting with
//! `maelstrom-node/` are the library's own (it counts the node's starts there).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Where a node's durable state is kept.
#[derive(Clone, Debug)]
pub enum StorageBackend {
    /// In memory, shared with whoever holds a clone (the simulation keeps one
    /// across a node's restarts).
    Memory(Rc<RefCell<BTreeMap<String, Value>>>),
    /// A JSON file `<dir>/<node id>.json`, rewritten atomically on each put.
    Dir(PathBuf),
}

impl StorageBackend {
    /// Fresh in-memory storage.
    pub fn memory() -> Self {
        StorageBackend::Memory(Rc::default())
    }

    /// `Dir($MAELSTROM_STORAGE_DIR)` if set, else fresh memory.
    pub fn from_env() -> Self {
        match std::env::var_os("MAELSTROM_STORAGE_DIR") {
            Some(dir) => StorageBackend::Dir(PathBuf::from(dir)),
            None => StorageBackend::memory(),
        }
    }
}

/// A node's durable key-value storage (see the module docs).
#[derive(Clone, Debug)]
pub struct Storage {
    data: Rc<RefCell<BTreeMap<String, Value>>>,
    file: Option<PathBuf>,
}

impl Storage {
    /// Opens node `node_id`'s storage on a backend, loading what a previous run kept.
    pub fn open(backend: &StorageBackend, node_id: &str) -> std::io::Result<Self> {
        match backend {
            StorageBackend::Memory(data) => Ok(Storage {
                data: data.clone(),
                file: None,
            }),
            StorageBackend::Dir(dir) => {
                std::fs::create_dir_all(dir)?;
                let file = dir.join(format!("{node_id}.json"));
                let data = match std::fs::read(&file) {
                    Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                    Err(e) => return Err(e),
                };
                Ok(Storage {
                    data: Rc::new(RefCell::new(data)),
                    file: Some(file),
                })
            }
        }
    }

    /// The value stored under `key`, if any (and if it has type `T`).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let data = self.data.borrow();
        data.get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Stores `value` under `key`; when this returns, it survives a crash.
    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> anyhow::Result<()> {
        let value = serde_json::to_value(value)?;
        self.data.borrow_mut().insert(key.to_string(), value);
        self.flush()
    }

    /// Changes the value under `key` (`Null` if there is none) in place and
    /// keeps the result, as [`Storage::put`] would. Cheaper than `put` when a
    /// large value changes a little (a log that grows by an entry): nothing is
    /// copied in memory (a file backend still rewrites its file).
    pub fn update<R>(&self, key: &str, edit: impl FnOnce(&mut Value) -> R) -> anyhow::Result<R> {
        let result = {
            let mut data = self.data.borrow_mut();
            match data.get_mut(key) {
                Some(value) => edit(value),
                None => edit(data.entry(key.to_string()).or_insert(Value::Null)),
            }
        };
        self.flush()?;
        Ok(result)
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) -> anyhow::Result<()> {
        self.data.borrow_mut().remove(key);
        self.flush()
    }

    fn flush(&self) -> anyhow::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        // Write then rename, so a crash mid-write leaves the old state intact.
        let tmp = file.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&*self.data.borrow())?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An update edits the kept value in place, starting from `Null`, and a
    /// file backend keeps the result across a reopen.
    #[test]
    fn update_edits_in_place_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        for backend in [
            StorageBackend::memory(),
            StorageBackend::Dir(dir.path().to_path_buf()),
        ] {
            let storage = Storage::open(&backend, "n1").unwrap();
            let was_null = storage
                .update("log", |v| {
                    let null = v.is_null();
                    *v = json!([1]);
                    null
                })
                .unwrap();
            assert!(was_null);
            storage
                .update("log", |v| v.as_array_mut().unwrap().push(json!(2)))
                .unwrap();
            assert_eq!(storage.get::<Vec<u64>>("log"), Some(vec![1, 2]));
            let reopened = Storage::open(&backend, "n1").unwrap();
            assert_eq!(reopened.get::<Vec<u64>>("log"), Some(vec![1, 2]));
        }
    }
}
