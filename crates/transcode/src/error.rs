//! The crate's one error type. Each variant is a kind the server can map to a response (bad
//! cached data, a request the encoders cannot meet, a length that does not add up), with a
//! message naming the cause.
//!
//! Not for: HTTP status codes or Subsonic error codes (the server maps them).

/// Errors of `auralis-transcode`.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// A chunk file is not valid FLAC, or is damaged or truncated (a CRC or the sample count
    /// does not match). `index` is the chunk's position in the stream (0 for a chunk handled
    /// on its own).
    #[error("chunk {index}: invalid FLAC chunk: {detail}")]
    InvalidChunk { index: u64, detail: String },
    /// A valid chunk that does not fit the stream: other rate, depth or channels, or more
    /// samples than the stream announced.
    #[error("chunk {index}: does not fit the stream: {detail}")]
    Mismatch { index: u64, detail: String },
    /// Parameters an encoder cannot take (sample rate, bitrate, length).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The stream ended with another number of samples than it announced.
    #[error("stream length: {expected} samples announced, {actual} written")]
    Length { expected: u64, actual: u64 },
    /// `push` or `finish` after `finish`.
    #[error("the stream is already finished")]
    Finished,
    /// The FLAC re-encode of a partial frame failed.
    #[error("FLAC re-encode: {0}")]
    Flac(#[from] auralis_encode::EncodeError),
    /// libopus reported an error.
    #[error("Opus encoder: {0}")]
    Opus(String),
    /// LAME reported an error.
    #[error("MP3 encoder: {0}")]
    Mp3(String),
    /// The Info/LAME tag sent at the start of an MP3 stream turned out to differ from the one
    /// LAME computed at the end (the stream is already sent; this reports the defect).
    #[error("MP3 Info tag sent ahead differs from LAME's final tag: {0}")]
    Mp3Tag(String),
    /// The resampler failed.
    #[error("resampler: {0}")]
    Resample(String),
    /// A broken internal invariant (a bug, not bad input).
    #[error("internal: {0}")]
    Internal(String),
}
