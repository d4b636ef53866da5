//! Whole encoded streams kept in tier 2: a Subsonic app's FLAC, Opus or MP3 of a track, so that
//! a second play of the same (track, variant, format, bitrate) is a file read, with HTTP ranges.
//!
//! A stream file sits in its track's tier-2 folder (`tracks/<key>/streams/<name>.stream`), so
//! it shares the track's key (file version, DSP version, chunk format), its LRU place and its
//! eviction, and its bytes count against the same budget as the chunks. The caller names the
//! stream (variant, format, bitrate: see [`valid_stream_name`]); the file is written to `tmp/`
//! while the stream is produced and renamed into place only when it is complete, so a stream
//! file is always whole: a client that stops listening halfway leaves nothing behind.
//!
//! Not for: encoding (the server's `stream` endpoint feeds the bytes it sends).

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::manager::Shared;
use crate::TrackId;

pub use crate::tier2::valid_stream_name;

/// A complete stream file: where it is and how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamFile {
    pub path: PathBuf,
    pub len: u64,
}

/// A stream file being written. Blocking I/O: call it from a blocking thread. Dropped without
/// [`StreamWriter::commit`], it removes its temporary file.
pub struct StreamWriter {
    pub(crate) shared: Arc<Shared>,
    pub(crate) track: TrackId,
    pub(crate) hash: u64,
    pub(crate) name: String,
    pub(crate) tmp: PathBuf,
    pub(crate) file: Option<io::BufWriter<fs::File>>,
    pub(crate) len: u64,
}

impl StreamWriter {
    /// Appends bytes of the stream.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("stream writer already finished"))?;
        file.write_all(data)?;
        self.len += data.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stream is complete: moves it into tier 2 and records it (evicting other tracks if
    /// the budget requires).
    pub fn commit(mut self) -> io::Result<StreamFile> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("stream writer already finished"))?;
        file.into_inner().map_err(|e| e.into_error())?;
        let path = self.shared.store.stream_path(self.hash, &self.name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(&self.tmp, &path)?;
        self.shared
            .record_stream(self.track, self.hash, &self.name, self.len);
        Ok(StreamFile {
            path,
            len: self.len,
        })
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
