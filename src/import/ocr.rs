//! OCR of scanned pages and images with Tesseract, found at run time on PATH (Debian:
//! `apt-get install tesseract-ocr tesseract-ocr-chi-sim`). Tesseract writes its words
//! with their boxes (TSV); they become [`Placed`] text, so a scan goes through the same
//! line, paragraph and page-number handling as a PDF's text layer.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::layout::{self, Page, Placed, Reading};

/// When to recognise text in page images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OcrMode {
    /// Pages without a text layer (scans) and image files.
    #[default]
    Auto,
    /// Every page of a PDF, even with a text layer (a text layer of garbage).
    Always,
    /// Never: scans fail with a message, PDFs give their text layer only.
    Never,
}

/// The languages asked of Tesseract: simplified Chinese, with English for the Latin
/// letters and digits in between.
pub const LANGUAGES: &str = "chi_sim+eng";
/// Images larger than this are refused before Tesseract sees them (A4 at 600 dpi is
/// 35 megapixels); Tesseract's memory and time grow with the pixels.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// A word Tesseract is less sure of than this (percent) counts as doubtful in the report.
const DOUBTFUL: f32 = 60.0;

/// How to tell a user to get OCR.
pub const INSTALL_HINT: &str = "install Tesseract with Chinese (Debian/Ubuntu: apt-get install \
     tesseract-ocr tesseract-ocr-chi-sim) and import again";

/// A page picture decoded to 8-bit grey, for OCR.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub width: u32,
    pub height: u32,
    pub grey: Vec<u8>,
}

/// The import's progress bar, which counts OCR pages too (OCR takes seconds a page).
#[derive(Debug, Clone, Default)]
pub struct Progress(pub Option<indicatif::ProgressBar>);

impl Progress {
    /// `n` more pages to recognise.
    pub fn add(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.inc_length(n as u64);
        }
    }

    /// One page recognised.
    pub fn page_done(&self, what: &str) {
        if let Some(b) = &self.0 {
            b.set_message(format!("OCR {what}"));
            b.inc(1);
        }
    }
}

/// An image file (.png, .jpg, .tif) made into lines by OCR.
pub fn extract_image(
    path: &Path,
    bytes: &[u8],
    mode: OcrMode,
    progress: &Progress,
) -> Result<Reading, String> {
    if mode == OcrMode::Never {
        return Err("an image has no text to read but by OCR, which --ocr never turns off".into());
    }
    check_image_size(bytes)?;
    let t = tesseract()?;
    progress.add(1);
    let r = t.recognise_file(path)?;
    progress.page_done(&path.display().to_string());
    let pages: Vec<usize> = (1..=r.pages.len()).collect();
    let extracted = layout::extract(&r.pages);
    if extracted.lines.is_empty() {
        return Err("OCR found no text in the image".into());
    }
    Ok(Reading {
        extracted,
        method: "ocr".into(),
        ocr: Some(ocr_note(&pages)),
        warnings: doubt_warning(&r, t).into_iter().collect(),
        cut: None,
    })
}

/// The value of `来源.文字识别`: which pages were recognised, by what. Tesseract's
/// version stays out, so the same scan imports to the same bytes on any machine.
pub fn ocr_note(pages: &[usize]) -> String {
    format!(
        "第{}页由 Tesseract 识别（{LANGUAGES}），可能有识别错误",
        layout::page_ranges(pages)
    )
}

/// The report's word on the recognised text.
pub fn doubt_warning(r: &Recognised, t: &Tesseract) -> Option<String> {
    (r.words > 0).then(|| {
        format!(
            "ocr: the text was recognised from images by {} ({} words, {} of them below \
             {DOUBTFUL}% confidence); check it against the original",
            t.version, r.words, r.doubtful
        )
    })
}

/// Tesseract, as found on this machine.
#[derive(Debug, Clone)]
pub struct Tesseract {
    /// e.g. `tesseract 5.3.0`.
    pub version: String,
}

/// Tesseract, looked for once per run.
pub fn tesseract() -> Result<&'static Tesseract, String> {
    static FOUND: OnceLock<Result<Tesseract, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let out = Command::new("tesseract")
                .arg("--list-langs")
                .stdin(Stdio::null())
                .output()
                .map_err(|_| format!("Tesseract is not installed: {INSTALL_HINT}"))?;
            let langs = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            if !langs.lines().any(|l| l.trim() == "chi_sim") {
                return Err(format!(
                    "Tesseract has no Chinese language data (chi_sim): {INSTALL_HINT}"
                ));
            }
            let version = Command::new("tesseract")
                .arg("--version")
                .output()
                .ok()
                .and_then(|o| {
                    let all = String::from_utf8_lossy(&o.stdout).to_string()
                        + &String::from_utf8_lossy(&o.stderr);
                    all.lines().next().map(|l| l.trim().to_string())
                })
                .unwrap_or_else(|| "tesseract".into());
            Ok(Tesseract { version })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// What OCR gave for one image (one page, or each page of a TIFF).
#[derive(Debug, Default)]
pub struct Recognised {
    pub pages: Vec<Page>,
    pub words: usize,
    pub doubtful: usize,
}

impl Tesseract {
    /// Recognises an image file Tesseract reads itself (PNG, JPEG, TIFF, PNM).
    pub fn recognise_file(&self, path: &Path) -> Result<Recognised, String> {
        let out = Command::new("tesseract")
            .arg(path)
            .arg("stdout")
            .args(["-l", LANGUAGES, "--psm", "3", "tsv"])
            // Files are recognised in parallel already; Tesseract's own threads only
            // compete with them.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run Tesseract: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message");
            return Err(format!("Tesseract could not read the image: {first}"));
        }
        Ok(parse_tsv(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Recognises a decoded page image (through a temporary grey PNM file).
    pub fn recognise_image(&self, img: &PageImage) -> Result<Recognised, String> {
        let mut tmp = tempfile::Builder::new()
            .suffix(".pgm")
            .tempfile()
            .map_err(|e| format!("cannot write a temporary file for OCR: {e}"))?;
        let header = format!("P5\n{} {}\n255\n", img.width, img.height);
        tmp.write_all(header.as_bytes())
            .and_then(|_| tmp.write_all(&img.grey))
            .and_then(|_| tmp.flush())
            .map_err(|e| format!("cannot write a temporary file for OCR: {e}"))?;
        self.recognise_file(tmp.path())
    }
}

/// Refuses an image file too large to recognise, by its header (not decoded).
pub fn check_image_size(bytes: &[u8]) -> Result<(), String> {
    let size = imagesize::blob_size(bytes).map_err(|e| {
        format!("not a readable image ({e}); open it in an image viewer and save it again as PNG")
    })?;
    let px = size.width as u64 * size.height as u64;
    if px > MAX_IMAGE_PIXELS {
        return Err(format!(
            "the image is {} × {} pixels ({} megapixels); OCR reads images up to {} megapixels: \
             scale it to 300 dpi (A4 is 2480 × 3508) and import again",
            size.width,
            size.height,
            px / 1_000_000,
            MAX_IMAGE_PIXELS / 1_000_000
        ));
    }
    if px == 0 {
        return Err("the image has no pixels".into());
    }
    Ok(())
}

/// Tesseract's TSV: `level page block par line word left top width height conf text`.
/// Level 1 rows are pages, level 4 lines, level 5 words; a word takes its line's
/// height, so the words of a line share one row.
fn parse_tsv(tsv: &str) -> Recognised {
    let mut r = Recognised::default();
    let mut line_box = (0.0f32, 0.0f32);
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 11 {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<f32>().unwrap_or(0.0);
        let (left, top, width, height) = (num(6), num(7), num(8), num(9));
        match f[0] {
            "1" => r.pages.push(Page {
                width,
                height,
                items: Vec::new(),
            }),
            "4" => line_box = (top, height),
            "5" => {
                let text = f.get(11).map_or("", |t| t.trim());
                if text.is_empty() {
                    continue;
                }
                let Some(page) = r.pages.last_mut() else {
                    continue;
                };
                r.words += 1;
                if num(10) < DOUBTFUL {
                    r.doubtful += 1;
                }
                let (lt, lh) = if line_box.1 > 0.0 {
                    line_box
                } else {
                    (top, height)
                };
                page.items.push(Placed {
                    text: text.to_string(),
                    x0: left,
                    x1: left + width,
                    top: lt,
                    bottom: lt + lh,
                    size: lh.max(1.0),
                    bold: false,
                });
            }
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_take_their_lines_box() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t1240\t1754\t-1\t\n\
            4\t1\t1\t1\t1\t0\t150\t300\t800\t32\t-1\t\n\
            5\t1\t1\t1\t1\t1\t150\t302\t200\t28\t91.5\t青溪县\n\
            5\t1\t1\t1\t1\t2\t360\t300\t120\t30\t40.0\t2024年\n\
            5\t1\t1\t1\t1\t3\t500\t300\t20\t30\t95\t \n";
        let r = parse_tsv(tsv);
        assert_eq!((r.words, r.doubtful), (2, 1));
        let p = &r.pages[0];
        assert_eq!((p.width, p.height), (1240.0, 1754.0));
        assert_eq!(p.items.len(), 2);
        assert_eq!((p.items[1].top, p.items[1].bottom), (300.0, 332.0));
    }

    #[test]
    fn huge_images_are_refused_by_their_header() {
        // A PNG header claiming 20,000 × 20,000 pixels, with no pixel data at all.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
        let e = check_image_size(&png).expect_err("too large");
        assert!(
            e.contains("20000 × 20000") && e.contains("400 megapixels"),
            "{e}"
        );
        assert!(check_image_size(b"not an image").is_err());
    }
}
