//! From an uploaded file to the variants browsers are served: what the bytes really are
//! (never the name or the declared type), a pixel-count limit read from the header before
//! anything is decoded, the EXIF orientation applied, and JPEG and WebP variants 320, 640
//! and 1024 px wide (never wider than the original), written afresh so no metadata of the
//! upload (an artist's studio in its GPS tags) survives. Pure: no I/O, so it is tested and
//! benchmarked on bytes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// The widths served; an original narrower than one gets a variant at its own width instead.
pub const WIDTHS: [u32; 3] = [320, 640, 1024];

/// The largest upload, as the presigned policy also says.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The most pixels an image may hold (a 40-megapixel camera's); past it, nothing is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The most memory a decode may take: a 40-megapixel image with its alpha channel.
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4 + 16 * 1024 * 1024;

const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 80.0;

/// What an upload is, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

impl Kind {
    /// The kind the bytes start like, if any of the three.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Kind::Webp)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Webp => "webp",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::Png => ImageFormat::Png,
            Kind::Webp => ImageFormat::WebP,
        }
    }
}

/// A variant's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Webp,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
        }
    }
}

/// One scaled copy, ready to store.
#[derive(Clone, Debug)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
    /// The SHA-256 of `bytes`, in hex: the variant's name.
    pub sha256: String,
}

/// An upload made into its variants.
#[derive(Clone, Debug)]
pub struct Processed {
    pub kind: Kind,
    /// As shown, the orientation applied.
    pub width: u32,
    pub height: u32,
    /// The SHA-256 of the upload itself, in hex.
    pub original_sha256: String,
    /// By width, then JPEG before WebP.
    pub variants: Vec<Variant>,
}

/// Why an upload is refused; `reason()` is what the uploader is shown.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the file is {bytes} bytes: the most is {MAX_BYTES}")]
    TooLarge { bytes: usize },
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image is {width} x {height} pixels: the most is {MAX_PIXELS} pixels")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image is damaged or incomplete: {0}")]
    Damaged(String),
}

impl Rejection {
    /// A short code for the record and the client.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "TOO_LARGE",
            Rejection::NotAnImage => "NOT_AN_IMAGE",
            Rejection::TooManyPixels { .. } => "TOO_MANY_PIXELS",
            Rejection::Damaged(_) => "DAMAGED",
        }
    }
}

/// Makes `bytes` into its variants, or says why it cannot.
pub fn process(bytes: &[u8]) -> Result<Processed, Rejection> {
    if bytes.len() > MAX_BYTES {
        return Err(Rejection::TooLarge { bytes: bytes.len() });
    }
    let kind = Kind::sniff(bytes).ok_or(Rejection::NotAnImage)?;
    complete(kind, bytes)?;
    let damaged = |e: image::ImageError| Rejection::Damaged(e.to_string());
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), kind.format())
        .into_decoder()
        .map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooManyPixels { width, height });
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.set_limits(limits).map_err(damaged)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    let variants = variants_of(&image)?;
    Ok(Processed {
        kind,
        width: image.width(),
        height: image.height(),
        original_sha256: sha256_hex(bytes),
        variants,
    })
}

/// Refuses a file cut short: a JPEG must end with its end-of-image marker, a WebP hold the
/// length its RIFF header says (a PNG's decoder finds a missing chunk by itself).
fn complete(kind: Kind, bytes: &[u8]) -> Result<(), Rejection> {
    match kind {
        Kind::Jpeg if !bytes.ends_with(&[0xFF, 0xD9]) => Err(Rejection::Damaged(
            "the JPEG ends before its end-of-image marker".to_string(),
        )),
        Kind::Webp => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            match usize::try_from(declared).is_ok_and(|d| d + 8 <= bytes.len()) {
                true => Ok(()),
                false => Err(Rejection::Damaged(
                    "the WebP is shorter than its header says".to_string(),
                )),
            }
        }
        _ => Ok(()),
    }
}

/// The widths `image` is served at: each of [`WIDTHS`] it reaches, and its own width when it
/// falls short of the next one (so nothing is ever scaled up).
pub fn widths_for(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.iter().map(|w| (*w).min(width)).collect();
    widths.dedup();
    widths
}

/// The JPEG and WebP of each width, scaled down step by step from the largest (each step
/// from the one before: the original is read once and never copied).
fn variants_of(image: &DynamicImage) -> Result<Vec<Variant>, Rejection> {
    let mut variants = Vec::new();
    let mut scaled: Option<DynamicImage> = None;
    for width in widths_for(image.width()).into_iter().rev() {
        let source = scaled.as_ref().unwrap_or(image);
        if source.width() != width {
            let height = scaled_height(image.width(), image.height(), width);
            scaled = Some(source.resize_exact(width, height, FilterType::CatmullRom));
        }
        let source = scaled.as_ref().unwrap_or(image);
        variants.push(encoded(source, Format::Webp)?);
        variants.push(encoded(source, Format::Jpeg)?);
    }
    variants.reverse();
    Ok(variants)
}

/// The height that keeps the aspect ratio at `width`, at least 1.
pub fn scaled_height(original_width: u32, original_height: u32, width: u32) -> u32 {
    let height = (u64::from(original_height) * u64::from(width) + u64::from(original_width) / 2)
        / u64::from(original_width);
    u32::try_from(height.max(1)).unwrap_or(u32::MAX)
}

fn encoded(image: &DynamicImage, format: Format) -> Result<Variant, Rejection> {
    let bytes = match format {
        Format::Jpeg => {
            let rgb = over_white(image);
            let mut bytes = Vec::new();
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                .encode_image(&rgb)
                .map_err(|e| Rejection::Damaged(e.to_string()))?;
            bytes
        }
        Format::Webp => {
            let memory = match image.color().has_alpha() {
                true => {
                    let rgba = image.to_rgba8();
                    webp::Encoder::from_rgba(rgba.as_raw(), rgba.width(), rgba.height())
                        .encode(WEBP_QUALITY)
                }
                false => {
                    let rgb = image.to_rgb8();
                    webp::Encoder::from_rgb(rgb.as_raw(), rgb.width(), rgb.height())
                        .encode(WEBP_QUALITY)
                }
            };
            memory.to_vec()
        }
    };
    Ok(Variant {
        width: image.width(),
        height: image.height(),
        format,
        sha256: sha256_hex(&bytes),
        bytes,
    })
}

/// The image without transparency, as it looks on a white page (JPEG has no alpha).
fn over_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let c = u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a));
            u8::try_from((c + 127) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, Rgba, RgbaImage};

    /// A JPEG of `width` x `height`, its left half red and its right half blue, with an EXIF
    /// segment holding `orientation` and a GPS latitude.
    fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&image)
            .unwrap_or_default();
        // TIFF, big-endian: IFD0 at 8 with Orientation and the GPS IFD's offset; the GPS IFD
        // at 38 with GPSLatitudeRef "N".
        let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        tiff.extend([0x00, 0x02]);
        tiff.extend([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0x00, 0x00]);
        tiff.extend([
            0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 38,
        ]);
        tiff.extend([0x00, 0x00, 0x00, 0x00]);
        tiff.extend([0x00, 0x01]);
        tiff.extend([
            0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0x00, 0x00, 0x00,
        ]);
        tiff.extend([0x00, 0x00, 0x00, 0x00]);
        let mut segment = b"Exif\x00\x00".to_vec();
        segment.extend(tiff);
        let length = u16::try_from(segment.len() + 2).unwrap_or_default();
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend([0xFF, 0xE1]);
        jpeg.extend(length.to_be_bytes());
        jpeg.extend(segment);
        jpeg.extend(&plain[2..]);
        jpeg
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header claims `width` x `height`, with an empty compressed stream where
    /// its pixels would be: a bomb's header, without the bomb.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            png.extend(u32::try_from(data.len()).unwrap_or_default().to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            png.extend(&body);
            png.extend(crc32(&body).to_be_bytes());
        };
        let mut header = width.to_be_bytes().to_vec();
        header.extend(height.to_be_bytes());
        header.extend([8, 2, 0, 0, 0]);
        chunk(b"IHDR", &header);
        chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(b"IEND", &[]);
        png
    }

    fn decoded(variant: &Variant) -> DynamicImage {
        image::load_from_memory(&variant.bytes).unwrap_or_default()
    }

    #[test]
    fn a_rotated_jpeg_is_turned_upright_scaled_and_stripped_of_its_metadata() {
        let jpeg = jpeg_with_exif(1200, 800, 6);
        assert!(
            jpeg.windows(4).any(|w| w == b"Exif"),
            "the test file has EXIF"
        );
        let processed = process(&jpeg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (processed.width, processed.height),
            (800, 1200),
            "turned upright"
        );
        let sizes: Vec<(u32, u32, Format)> = processed
            .variants
            .iter()
            .map(|v| (v.width, v.height, v.format))
            .collect();
        assert_eq!(
            sizes,
            [
                (320, 480, Format::Jpeg),
                (320, 480, Format::Webp),
                (640, 960, Format::Jpeg),
                (640, 960, Format::Webp),
                (800, 1200, Format::Jpeg),
                (800, 1200, Format::Webp),
            ],
            "never wider than the original"
        );
        for variant in &processed.variants {
            for marker in [&b"Exif"[..], b"EXIF", b"GPS"] {
                assert!(
                    !variant.bytes.windows(marker.len()).any(|w| w == marker),
                    "{:?} {}: no metadata left",
                    variant.format,
                    variant.width
                );
            }
            let image = decoded(variant).to_rgb8();
            assert_eq!(
                (image.width(), image.height()),
                (variant.width, variant.height)
            );
            // Rotated 90° clockwise, the red left half is on top.
            let top = image.get_pixel(variant.width / 2, variant.height / 8).0;
            let bottom = image.get_pixel(variant.width / 2, variant.height * 7 / 8).0;
            assert!(top[0] > 200 && top[2] < 60, "red on top: {top:?}");
            assert!(bottom[2] > 200 && bottom[0] < 60, "blue below: {bottom:?}");
            assert_eq!(variant.sha256, sha256_hex(&variant.bytes));
        }
    }

    #[test]
    fn a_transparent_png_keeps_its_alpha_in_webp_and_lies_on_white_in_jpeg() {
        let image = RgbaImage::from_fn(2000, 1000, |x, _| {
            if x < 1000 {
                Rgba([0, 0, 0, 0])
            } else {
                Rgba([0, 128, 0, 255])
            }
        });
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(image.as_raw(), 2000, 1000, image::ExtendedColorType::Rgba8)
            .unwrap_or_default();
        let processed = process(&png).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(processed.kind, Kind::Png);
        let widths: Vec<(u32, u32)> = processed
            .variants
            .iter()
            .map(|v| (v.width, v.height))
            .collect();
        assert_eq!(
            widths,
            [
                (320, 160),
                (320, 160),
                (640, 320),
                (640, 320),
                (1024, 512),
                (1024, 512)
            ]
        );
        for variant in &processed.variants {
            let shown = decoded(variant);
            match variant.format {
                Format::Webp => {
                    let pixel = shown.to_rgba8().get_pixel(10, 10).0;
                    assert!(pixel[3] < 10, "still transparent: {pixel:?}");
                }
                Format::Jpeg => {
                    let pixel = shown.to_rgb8().get_pixel(10, 10).0;
                    assert!(pixel.iter().all(|c| *c > 240), "white: {pixel:?}");
                }
            }
        }
    }

    #[test]
    fn a_webp_and_a_single_pixel_are_served_at_their_own_width() {
        let rgb = RgbImage::from_pixel(500, 250, Rgb([10, 20, 30]));
        let webp = webp::Encoder::from_rgb(rgb.as_raw(), 500, 250)
            .encode(90.0)
            .to_vec();
        let processed = process(&webp).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(processed.kind, Kind::Webp);
        assert_eq!(widths_for(500), [320, 500]);
        assert_eq!(processed.variants.len(), 4);
        assert_eq!(processed.variants[2].height, 250);

        let mut one = Vec::new();
        image::codecs::png::PngEncoder::new(&mut one)
            .write_image(&[1, 2, 3], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap_or_default();
        let processed = process(&one).unwrap_or_else(|e| panic!("{e}"));
        let sizes: Vec<(u32, u32)> = processed
            .variants
            .iter()
            .map(|v| (v.width, v.height))
            .collect();
        assert_eq!(sizes, [(1, 1), (1, 1)]);
    }

    #[test]
    fn bombs_pretenders_and_broken_files_are_refused_with_their_reason() {
        assert_eq!(
            process(&png_claiming(20_000, 20_000)).err(),
            Some(Rejection::TooManyPixels {
                width: 20_000,
                height: 20_000
            }),
            "refused from the header alone"
        );
        assert_eq!(
            process(b"just some text, named photo.jpg").err(),
            Some(Rejection::NotAnImage)
        );
        let jpeg = jpeg_with_exif(300, 200, 1);
        let cut = &jpeg[..jpeg.len() / 2];
        assert_eq!(process(cut).err().map(|e| e.code()), Some("DAMAGED"));
        let mut png = png_claiming(10, 10);
        png.truncate(png.len() - 12); // no IEND, and no pixels in the stream
        assert_eq!(process(&png).err().map(|e| e.code()), Some("DAMAGED"));
        let rgb = RgbImage::from_pixel(50, 50, Rgb([1, 2, 3]));
        let webp = webp::Encoder::from_rgb(rgb.as_raw(), 50, 50)
            .encode(90.0)
            .to_vec();
        assert_eq!(
            process(&webp[..webp.len() - 10]).err().map(|e| e.code()),
            Some("DAMAGED")
        );
        let huge = vec![0u8; MAX_BYTES + 1];
        assert_eq!(
            process(&huge).err(),
            Some(Rejection::TooLarge {
                bytes: MAX_BYTES + 1
            })
        );
    }

    #[test]
    fn heights_keep_the_aspect_ratio() {
        assert_eq!(scaled_height(4000, 3000, 1024), 768);
        assert_eq!(scaled_height(3000, 4000, 320), 427);
        assert_eq!(scaled_height(10_000, 1, 320), 1);
        assert_eq!(widths_for(4000), [320, 640, 1024]);
        assert_eq!(widths_for(640), [320, 640]);
        assert_eq!(widths_for(100), [100]);
    }
}
