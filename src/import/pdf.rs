//! PDF → placed text and page images. hayro-syntax parses the file (cross-reference
//! repair, filters, encryption with an empty password); hayro-interpret runs each page's
//! content stream and hands every glyph, with its Unicode text (ToUnicode CMaps, font
//! encodings, glyph names) and its place on the page, to the [`Device`] here. Pages
//! with no text but a picture are scans: their largest image is decoded for OCR.
//!
//! Why hayro and not another crate: docs/import.md (figures on the test PDFs).

use hayro_interpret::font::GlyphRun;
use hayro_interpret::hayro_cmap::BfString;
use hayro_interpret::hayro_syntax::{LoadPdfError, Pdf};
use hayro_interpret::kurbo::{Affine, BezPath, Point, Rect};
use hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageData, ImageDrawProps,
    InterpreterCache, InterpreterSettings, SoftMask, TransformExt, interpret_page,
};

use rayon::prelude::*;

use super::layout::{self, Page, Placed, Reading};
use super::ocr::{self, OcrMode, PageImage, Progress, Recognised};

/// Pages read from one PDF; past this the rest is left out and the report says so.
pub const MAX_PAGES: usize = 2000;
/// Glyphs kept from one PDF (about 1,000 pages of dense text); a crafted file can draw
/// millions of glyphs from a few bytes.
pub const MAX_GLYPHS: usize = 2_000_000;
/// A page image handed to OCR is decoded to at most this many pixels (A4 at 400 dpi).
pub const MAX_OCR_PIXELS: u64 = 16_000_000;

/// What was read from a PDF.
#[derive(Debug, Default)]
pub struct PdfText {
    /// Every page's text layer (empty for a scan).
    pub pages: Vec<Page>,
    /// Pages without text that are covered by a picture: a scan.
    pub scanned: Vec<usize>,
    /// The pages' count in the file (more than `pages.len()` when capped).
    pub page_count: usize,
    /// What was left out and why (pages past the cap, glyphs past the cap).
    pub notes: Vec<String>,
    /// Glyphs whose font gives no Unicode text (no ToUnicode map): left out.
    pub unmapped: usize,
}

/// A page with fewer visible characters than this, and a picture over most of it, is
/// a scan (a scanner may stamp a line of text such as a date on the image).
const SCAN_TEXT_CHARS: usize = 20;

fn load(bytes: &[u8]) -> Result<Pdf, String> {
    Pdf::new(bytes.to_vec()).map_err(|e| match e {
        LoadPdfError::Decryption(_) => "the PDF is encrypted with a password; open it with the \
             password, print it to a new PDF without protection, and import that"
            .to_string(),
        LoadPdfError::Invalid => "not a readable PDF (damaged or not a PDF at all); open it in a \
             PDF reader and save or print it to a new PDF"
            .to_string(),
    })
}

fn settings() -> InterpreterSettings {
    InterpreterSettings::default()
}

/// Interprets one page into `dev` (its text or its pictures); the page's size.
fn run_page<'a>(
    pdf: &'a Pdf,
    page: &hayro_interpret::hayro_syntax::page::Page<'a>,
    cache: &InterpreterCache<'a>,
    dev: &mut Collector,
) -> (f32, f32) {
    let (w, h) = page.render_dimensions();
    let mut ctx = Context::new(
        page.initial_transform(true).to_kurbo(),
        Rect::new(0.0, 0.0, w as f64, h as f64),
        cache,
        pdf.xref(),
        settings(),
    );
    interpret_page(page, &mut ctx, dev);
    (w, h)
}

/// A PDF made into lines: its text layer, with the scanned pages (every page with a
/// picture, under `--ocr always`) recognised by OCR.
pub fn extract(
    bytes: &[u8],
    name: &str,
    mode: OcrMode,
    progress: &Progress,
) -> Result<Reading, String> {
    let mut text = read(bytes)?;
    // Pages or characters past a cap: the text stops early, so the document is marked
    // incomplete there (office::note), not only warned about.
    let cut = (!text.notes.is_empty()).then(|| std::mem::take(&mut text.notes).join("；"));
    let mut warnings = Vec::new();
    if text.unmapped > 0 {
        warnings.push(format!(
            "{} characters were left out: the PDF's fonts do not say which characters they are \
             (no ToUnicode map); --ocr always recognises pages that are pictures",
            text.unmapped
        ));
    }
    let no_text = text
        .pages
        .iter()
        .all(|p| p.items.iter().all(|i| i.text.trim().is_empty()));
    let wanted: Vec<usize> = match mode {
        OcrMode::Never => Vec::new(),
        OcrMode::Auto => text.scanned.clone(),
        OcrMode::Always => (0..text.pages.len()).collect(),
    };
    let scans = || {
        let pages: Vec<usize> = text.scanned.iter().map(|i| i + 1).collect();
        layout::page_ranges(&pages)
    };
    if mode == OcrMode::Never && !text.scanned.is_empty() {
        if no_text {
            return Err("the PDF has no text layer (a scan); import it without --ocr never to                  recognise its text by OCR"
                .into());
        }
        warnings.push(format!(
            "pages {} are scans without text; they were not read (--ocr never)",
            scans()
        ));
    }
    let mut recognised = Vec::new();
    let mut words = Recognised::default();
    let mut reader = None;
    if !wanted.is_empty() {
        match ocr::tesseract() {
            Err(e) if no_text || mode == OcrMode::Always => {
                let what = if no_text {
                    "the PDF has no text layer (a scan) and needs OCR"
                } else {
                    "--ocr always needs OCR"
                };
                return Err(format!("{what}: {e}"));
            }
            Err(e) => warnings.push(format!(
                "pages {} are scans without text and were not read: {e}",
                scans()
            )),
            Ok(t) => {
                reader = Some(t);
                progress.add(wanted.len());
                // A few pages at a time: decoded pictures are up to 16 MB each, and a
                // scanned PDF may have hundreds of pages.
                let batch = rayon::current_num_threads().max(1) * 2;
                for pages in wanted.chunks(batch) {
                    let images = page_images(bytes, pages)?;
                    let results: Vec<(usize, Option<Result<Recognised, String>>)> = pages
                        .par_iter()
                        .zip(images.into_par_iter())
                        .map(|(&i, img)| {
                            let r = img.map(|img| t.recognise_image(&img));
                            progress.page_done(&format!("{name} page {}", i + 1));
                            (i, r)
                        })
                        .collect();
                    for (i, r) in results {
                        let Some(r) = r else { continue };
                        let r = r.map_err(|e| format!("page {}: {e}", i + 1))?;
                        words.words += r.words;
                        words.doubtful += r.doubtful;
                        if let Some(page) = r.pages.into_iter().next() {
                            let target = &mut text.pages[i];
                            target.items = scaled(page, target.width, target.height);
                            recognised.push(i + 1);
                        }
                    }
                }
            }
        }
    }
    let extracted = layout::extract(&text.pages);
    if extracted.lines.is_empty() {
        return Err(if text.unmapped > 0 {
            format!(
                "the PDF's fonts do not say which characters they draw (no ToUnicode map, \
                 {} characters); print it to a new PDF with embedded fonts, or import a scan of it",
                text.unmapped
            )
        } else if text.scanned.is_empty() {
            "the PDF has no text to import (its pages draw no characters)".into()
        } else {
            "OCR found no text on the PDF's scanned pages".into()
        });
    }
    if let Some(t) = reader {
        warnings.extend(ocr::doubt_warning(&words, t));
    }
    Ok(Reading {
        extracted,
        method: if recognised.is_empty() {
            "pdf".into()
        } else if recognised.len() == text.pages.len() {
            "pdf (ocr)".into()
        } else {
            "pdf (text layer and ocr)".into()
        },
        ocr: (!recognised.is_empty()).then(|| ocr::ocr_note(&recognised)),
        warnings,
        cut,
    })
}

/// An OCR page (in pixels) in the PDF page's units.
fn scaled(page: Page, width: f32, height: f32) -> Vec<Placed> {
    let sx = width / page.width.max(1.0);
    let sy = height / page.height.max(1.0);
    page.items
        .into_iter()
        .map(|p| Placed {
            x0: p.x0 * sx,
            x1: p.x1 * sx,
            top: p.top * sy,
            bottom: p.bottom * sy,
            size: p.size * sy,
            ..p
        })
        .collect()
}

/// Reads the text layer of every page (up to [`MAX_PAGES`]).
pub fn read(bytes: &[u8]) -> Result<PdfText, String> {
    let pdf = load(bytes)?;
    let all = pdf.pages();
    let mut out = PdfText {
        page_count: all.len(),
        ..Default::default()
    };
    if all.is_empty() {
        return Err("the PDF has no pages".into());
    }
    if all.len() > MAX_PAGES {
        out.notes.push(format!(
            "the PDF has {} pages; only the first {MAX_PAGES} were read",
            all.len()
        ));
    }
    let cache = InterpreterCache::new();
    let mut glyphs = 0usize;
    for (i, page) in all.iter().take(MAX_PAGES).enumerate() {
        let mut dev = Collector::new(MAX_GLYPHS.saturating_sub(glyphs), false);
        let (w, h) = run_page(&pdf, page, &cache, &mut dev);
        glyphs += dev.items.len();
        out.unmapped += dev.unmapped;
        let visible: usize = dev
            .items
            .iter()
            .filter(|p| !p.text.trim().is_empty())
            .count();
        let page_area = (w as f64 * h as f64).max(1.0);
        if visible < SCAN_TEXT_CHARS && dev.largest_image_area >= 0.5 * page_area {
            out.scanned.push(i);
        }
        if dev.truncated {
            out.notes.push(format!(
                "the PDF draws more than {MAX_GLYPHS} characters; the text after page {} was left out",
                i + 1
            ));
        }
        out.pages.push(Page {
            width: w,
            height: h,
            items: dev.items,
        });
        if glyphs >= MAX_GLYPHS {
            break;
        }
    }
    Ok(out)
}

/// The largest picture of each page in `pages` (0-based), decoded to grey, for OCR.
/// A page without a picture gives `None`.
pub fn page_images(bytes: &[u8], pages: &[usize]) -> Result<Vec<Option<PageImage>>, String> {
    let pdf = load(bytes)?;
    let all = pdf.pages();
    let cache = InterpreterCache::new();
    let mut out = Vec::with_capacity(pages.len());
    for &i in pages {
        let Some(page) = all.get(i) else {
            out.push(None);
            continue;
        };
        let mut dev = Collector::new(0, true);
        run_page(&pdf, page, &cache, &mut dev);
        out.push(dev.image);
    }
    Ok(out)
}

/// Collects glyphs (text, box, size) and, when asked, decodes the largest picture.
struct Collector {
    items: Vec<Placed>,
    room: usize,
    unmapped: usize,
    truncated: bool,
    decode: bool,
    largest_image_area: f64,
    image: Option<PageImage>,
}

impl Collector {
    fn new(room: usize, decode: bool) -> Self {
        Collector {
            items: Vec::new(),
            room,
            unmapped: 0,
            truncated: false,
            decode,
            largest_image_area: 0.0,
            image: None,
        }
    }
}

/// The device-space box of a `w` × `h` image placed by `t` (hayro's image transform
/// maps pixels to the page).
fn image_box(t: Affine, w: u32, h: u32) -> Rect {
    let (w, h) = (w as f64, h as f64);
    let pts = [
        t * Point::new(0.0, 0.0),
        t * Point::new(w, 0.0),
        t * Point::new(0.0, h),
        t * Point::new(w, h),
    ];
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    Rect::new(x0, y0, x1, y1)
}

fn grey(data: ImageData) -> PageImage {
    match data {
        ImageData::Luma(l) => PageImage {
            width: l.width,
            height: l.height,
            grey: l.data,
        },
        ImageData::Rgb(c) => PageImage {
            width: c.width,
            height: c.height,
            grey: c
                .data
                .chunks_exact(3)
                .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8)
                .collect(),
        },
    }
}

/// An image's size scaled down to at most [`MAX_OCR_PIXELS`].
fn capped(w: u32, h: u32) -> Option<(u32, u32)> {
    let px = w as u64 * h as u64;
    if px <= MAX_OCR_PIXELS {
        return None;
    }
    let f = (MAX_OCR_PIXELS as f64 / px as f64).sqrt();
    Some((
        ((w as f64 * f) as u32).max(1),
        ((h as f64 * f) as u32).max(1),
    ))
}

impl<'a> Device<'a> for Collector {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}

    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, mode: &DrawMode) {
        if self.decode {
            return;
        }
        // Type set with fill and stroke is how office programs fake bold Chinese type.
        let stroked = matches!(mode, DrawMode::FillAndStroke(..));
        let mut bold = None;
        for g in run.glyphs() {
            if self.room == 0 {
                self.truncated = true;
                return;
            }
            let text = match g.as_unicode() {
                Some(BfString::Char(c)) => c.to_string(),
                Some(BfString::String(s)) => s,
                None => {
                    self.unmapped += 1;
                    continue;
                }
            };
            let bold = *bold.get_or_insert_with(|| {
                stroked
                    || match &**g {
                        hayro_interpret::font::Glyph::Outline(o) => {
                            o.font_data().is_some_and(|f| {
                                f.weight.is_some_and(|w| w >= 600)
                                    || f.postscript_name.as_deref().is_some_and(|n| {
                                        let n = n.to_ascii_lowercase();
                                        n.contains("bold")
                                            || n.contains("heavy")
                                            || n.contains("black")
                                    })
                            })
                        }
                        hayro_interpret::font::Glyph::Type3(_) => false,
                    }
            });
            // Glyph space is 1000 units to the em: the em box, placed on the page.
            let t = props.transform * g.transform();
            let advance = match &**g {
                hayro_interpret::font::Glyph::Outline(o) => o.advance_width(),
                hayro_interpret::font::Glyph::Type3(t3) => t3.advance_width(),
            }
            .filter(|a| a.is_finite() && *a > 0.0)
            .unwrap_or(500.0) as f64;
            let origin = t * Point::ZERO;
            let right = t * Point::new(advance, 0.0);
            let up = t * Point::new(0.0, 1000.0);
            let size = ((up.x - origin.x).powi(2) + (up.y - origin.y).powi(2)).sqrt();
            if !size.is_finite() || size <= 0.01 || !origin.x.is_finite() || !origin.y.is_finite() {
                continue;
            }
            // Top-down device space: the baseline is at origin.y, the em box above it.
            self.items.push(Placed {
                text,
                x0: origin.x.min(right.x) as f32,
                x1: origin.x.max(right.x) as f32,
                top: (origin.y - 0.88 * size) as f32,
                bottom: (origin.y + 0.12 * size) as f32,
                size: size as f32,
                bold,
            });
            self.room -= 1;
        }
    }

    fn draw_image(&mut self, image: Image<'a, '_>, props: ImageDrawProps<'a>) {
        let area = image_box(props.transform, image.width(), image.height()).area();
        if area <= self.largest_image_area {
            return;
        }
        self.largest_image_area = area;
        if !self.decode {
            return;
        }
        let target = capped(image.width(), image.height());
        match image {
            Image::Raster(r) => r.with_rgba(|data, _| self.image = Some(grey(data)), target),
            Image::Stencil(s) => s.with_stencil(
                |l, _| {
                    // A stencil paints where it is set: ink is 255, paper 0.
                    self.image = Some(PageImage {
                        width: l.width,
                        height: l.height,
                        grey: l.data.iter().map(|v| 255 - v).collect(),
                    })
                },
                target,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_and_empty_input_are_one_line_errors() {
        for bytes in [
            &b""[..],
            b"%PDF-1.7\n",
            b"not a pdf at all",
            b"%PDF-1.4\n1 0 obj\n<<",
        ] {
            let e = read(bytes).expect_err("no PDF");
            assert!(!e.contains('\n') && e.contains("PDF"), "{e}");
        }
    }

    #[test]
    fn a_simple_font_with_a_tounicode_map_reads_as_chinese() {
        let bytes = include_bytes!("../../tests/fixtures/formats/pdf/minimal.pdf");
        let r =
            extract(bytes, "minimal.pdf", OcrMode::Never, &Progress::default()).expect("readable");
        let x = &r.extracted;
        let lines: Vec<&str> = x.lines.iter().map(|l| x.line_text(l)).collect();
        assert_eq!(lines, ["青溪县通知", "青溪县2024年3月20日", "- 1 -"]);
        assert!(matches!(
            x.lines[2].region,
            super::super::extract::Region::Chrome(ref why) if why.starts_with("PDF page number")
        ));
        assert_eq!(r.method, "pdf");
        assert!(r.ocr.is_none() && r.warnings.is_empty());
        // The glyphs' sizes are the type sizes set in the file.
        let page = &read(bytes).expect("readable").pages[0];
        assert!(
            (page.items[0].size - 22.0).abs() < 0.01,
            "{:?}",
            page.items[0]
        );
    }

    #[test]
    fn image_caps_keep_the_aspect() {
        assert_eq!(capped(1000, 1000), None);
        let (w, h) = capped(20_000, 20_000).expect("capped");
        assert!(w as u64 * h as u64 <= MAX_OCR_PIXELS && w == h);
    }
}
