//! Artwork scaled down for small screens (Subsonic's `getCoverArt?size=`), kept in memory.
//!
//! Phones ask for the same few sizes of the same covers again and again while scrolling; a
//! full-size embedded cover can be several megabytes. The scaled image (at most `size` pixels
//! on its longer side, JPEG, or PNG when the source has transparency) is kept in a small LRU
//! keyed by the track, the size and a hash of the original bytes, so a changed cover is never
//! served stale. Images already small enough are sent as they are.
//!
//! Not for: finding a track's artwork (the library does), HTTP.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use image::{DynamicImage, ImageFormat, ImageReader};
use parking_lot::Mutex;

use super::error::{Error, Result};

/// Largest side a request may ask for; larger asks get the original.
pub const MAX_SIZE: u32 = 2048;
/// Bytes of scaled images kept.
const CACHE_BYTES: usize = 32 << 20;

type Key = (i64, u32, u64);

#[derive(Default)]
struct Lru {
    map: HashMap<Key, (Bytes, &'static str)>,
    order: VecDeque<Key>,
    bytes: usize,
}

/// Scaled artwork, cached.
#[derive(Clone, Default)]
pub struct ScaledArtwork {
    lru: Arc<Mutex<Lru>>,
}

impl ScaledArtwork {
    /// `original` (image bytes of track `track`) at most `size` pixels on its longer side.
    pub async fn scaled(
        &self,
        track: i64,
        original: Vec<u8>,
        mime: String,
        size: u32,
    ) -> Result<(Bytes, String)> {
        if size == 0 || size >= MAX_SIZE {
            return Ok((Bytes::from(original), mime));
        }
        let key = (track, size, xxhash_rust::xxh3::xxh3_64(&original));
        if let Some((b, m)) = self.get(&key) {
            return Ok((b, m.to_string()));
        }
        let made = tokio::task::spawn_blocking(move || scale(original, mime, size)).await??;
        if let (b, Some(m)) = (&made.0, made.2) {
            self.put(key, b.clone(), m);
        }
        Ok((made.0, made.1))
    }

    fn get(&self, key: &Key) -> Option<(Bytes, &'static str)> {
        let mut lru = self.lru.lock();
        let hit = lru.map.get(key).cloned()?;
        lru.order.retain(|k| k != key);
        lru.order.push_back(*key);
        Some(hit)
    }

    fn put(&self, key: Key, bytes: Bytes, mime: &'static str) {
        let mut lru = self.lru.lock();
        if bytes.len() > CACHE_BYTES / 4 || lru.map.contains_key(&key) {
            return;
        }
        lru.bytes += bytes.len();
        lru.map.insert(key, (bytes, mime));
        lru.order.push_back(key);
        while lru.bytes > CACHE_BYTES {
            let Some(old) = lru.order.pop_front() else {
                break;
            };
            if let Some((b, _)) = lru.map.remove(&old) {
                lru.bytes -= b.len();
            }
        }
    }
}

/// Scales on a blocking thread: (bytes, MIME, the MIME when the bytes are a new scaled image).
fn scale(
    original: Vec<u8>,
    mime: String,
    size: u32,
) -> Result<(Bytes, String, Option<&'static str>)> {
    let reader = ImageReader::new(Cursor::new(&original))
        .with_guessed_format()
        .map_err(|e| Error::internal(format!("artwork: {e}")))?;
    let Ok(img) = reader.decode() else {
        // A cover the decoder cannot read is still a cover: apps may be able to show it.
        return Ok((Bytes::from(original), mime, None));
    };
    if img.width().max(img.height()) <= size {
        return Ok((Bytes::from(original), mime, None));
    }
    let small = img.thumbnail(size, size);
    let (format, out_mime) = if small.color().has_alpha() {
        (ImageFormat::Png, "image/png")
    } else {
        (ImageFormat::Jpeg, "image/jpeg")
    };
    let small = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(small.to_rgb8()),
        _ => small,
    };
    let mut out = Cursor::new(Vec::new());
    small
        .write_to(&mut out, format)
        .map_err(|e| Error::internal(format!("artwork: encode: {e}")))?;
    Ok((
        Bytes::from(out.into_inner()),
        out_mime.to_string(),
        Some(out_mime),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[tokio::test]
    async fn covers_shrink_keep_their_shape_and_are_cached() {
        let art = ScaledArtwork::default();
        let (b, m) = art
            .scaled(1, png(600, 300), "image/png".into(), 100)
            .await
            .unwrap();
        assert_eq!(m, "image/jpeg");
        let img = image::load_from_memory(&b).unwrap();
        assert_eq!((img.width(), img.height()), (100, 50));
        assert_eq!(art.lru.lock().map.len(), 1);
        let (b2, _) = art
            .scaled(1, png(600, 300), "image/png".into(), 100)
            .await
            .unwrap();
        assert_eq!(b, b2);
        // Small enough already, or no size: the original.
        let small = png(50, 50);
        let (b, m) = art
            .scaled(1, small.clone(), "image/png".into(), 100)
            .await
            .unwrap();
        assert_eq!((b.to_vec(), m.as_str()), (small, "image/png"));
        // Not an image: sent as it is.
        let (b, _) = art
            .scaled(2, b"junk".to_vec(), "image/jpeg".into(), 64)
            .await
            .unwrap();
        assert_eq!(&b[..], b"junk");
    }
}
