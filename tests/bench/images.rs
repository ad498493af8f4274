//! `make bench-images`: the time and peak memory to make a 12-megapixel JPEG into every
//! variant, optimised (the bench profile), to choose the image function's memory size.
//!
//! The photo is generated (a gradient under fine noise, which JPEG cannot compress away, so
//! its size is a camera's) and written to a file; a child process of this benchmark then
//! reads it and processes it, so the peak resident memory it reports is the processing's
//! own, not the generator's.

use std::time::{Duration, Instant};

use functions::images::variants::process;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().collect();
    if let Some(at) = arguments.iter().position(|a| a == "--child") {
        let path = arguments
            .get(at + 1)
            .ok_or_else(|| anyhow::anyhow!("--child needs a file"))?;
        return child(path);
    }
    let path = std::env::temp_dir().join(format!("bench-images-{}.jpg", std::process::id()));
    let photo = photo()?;
    std::fs::write(&path, &photo)?;
    println!(
        "input: a {WIDTH} x {HEIGHT} JPEG ({:.1} megapixels), {:.2} MB",
        f64::from(WIDTH * HEIGHT) / 1e6,
        photo.len() as f64 / 1e6
    );
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(&path)
        .output()?;
    std::fs::remove_file(&path)?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    anyhow::ensure!(
        output.status.success(),
        "the child failed: {}",
        output.status
    );
    Ok(())
}

/// Processes the file `RUNS` times and prints each time, the variants and the peak memory.
fn child(path: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let processed = process(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(started.elapsed());
        last = Some(processed);
    }
    let processed = last.ok_or_else(|| anyhow::anyhow!("no run"))?;
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "process, {RUNS} runs on one core: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1])
    );
    for variant in &processed.variants {
        println!(
            "  {:>4} x {:<4} {:<4} {:>7.1} KB",
            variant.width,
            variant.height,
            variant.format.as_str(),
            variant.bytes.len() as f64 / 1e3
        );
    }
    let peak = peak_resident_kib()?;
    println!(
        "peak resident memory: {:.0} MiB (the file and {RUNS} runs' results included)",
        peak as f64 / 1024.0
    );
    Ok(())
}

fn peak_resident_kib() -> anyhow::Result<i64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    anyhow::ensure!(status == 0, "getrusage failed");
    // SAFETY: getrusage succeeded, so it filled the struct.
    Ok(unsafe { usage.assume_init() }.ru_maxrss)
}

/// A 12-megapixel photo-like JPEG at quality 90.
fn photo() -> anyhow::Result<Vec<u8>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state & 0x0F) as u8
    };
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let r = (x * 180 / WIDTH) as u8;
        let g = (y * 180 / HEIGHT) as u8;
        let b = ((x + y) * 90 / (WIDTH + HEIGHT)) as u8;
        Rgb([r + noise(), g + noise(), b + noise()])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image)?;
    Ok(jpeg)
}
