//! The drawing surface: plotters' SVG backend, one element at a time, grouped by series.
//!
//! plotters' [`SVGBackend`] writes each primitive (line, polyline, rectangle, circle, text) as
//! one SVG element, but it has no notion of a series: nothing in its output says which polyline is
//! gradient descent. Readers of the file (and `tests/it/plots.rs`) need that, so [`TaggedSvg`]
//! renders every primitive with a fresh `SVGBackend` into a scratch string, cuts the element out
//! and appends it to the document inside the `<g id=…>` that the drawing code asked for through
//! [`Canvas::group`]. The elements are therefore exactly plotters' own; only the grouping (and a
//! `stroke-dasharray` on a group, inherited by its lines) is ours.
//!
//! Text stays text (`<text font-family="sans-serif">`): nothing is rasterised and no font file is
//! read. Text *widths* are estimated ([`TaggedSvg::estimate_text_size`]) from the number of
//! characters; plotters' own estimate counts UTF-8 bytes, which doubles the width of `γ`, `μ`, `−`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io;
use std::rc::Rc;

use plotters::backend::SVGBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// The average advance of a sans-serif character, in em: DejaVu Sans (the usual fallback for
/// `sans-serif`) averages ≈ 0.55 em over digits and lower case; a generous estimate keeps legend
/// boxes from clipping their text.
const CHAR_WIDTH_EM: f64 = 0.6;

/// plotters writes `font-size = size / 1.24` (its SVG backend's convention).
const PLOTTERS_FONT_SCALE: f64 = 1.24;

/// A `<g>` that the following elements go into.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    id: String,
    class: &'static str,
    dash: Option<&'static str>,
}

#[derive(Debug)]
struct Doc {
    size: (u32, u32),
    body: String,
    /// The group whose `<g>` is open in `body`.
    open: Option<Group>,
    /// The group the next element goes into.
    wanted: Option<Group>,
    /// Ids already opened: a second `<g>` with the same id would make the document invalid.
    used: BTreeSet<String>,
}

impl Doc {
    /// Brings the open group in line with the wanted one before an element is written.
    fn sync(&mut self) {
        if self.open == self.wanted {
            return;
        }
        if self.open.take().is_some() {
            self.body.push_str("</g>\n");
        }
        if let Some(g) = self.wanted.clone() {
            let mut id = g.id.clone();
            // A group that is reopened after others gets a numbered id rather than a duplicate.
            let mut n = 2;
            while self.used.contains(&id) {
                id = format!("{}-{n}", g.id);
                n += 1;
            }
            self.used.insert(id.clone());
            self.body.push_str(&format!(
                "<g id=\"{}\" class=\"{}\"",
                escape(&id),
                escape(g.class)
            ));
            if let Some(d) = g.dash {
                self.body
                    .push_str(&format!(" stroke-dasharray=\"{}\"", escape(d)));
            }
            self.body.push_str(">\n");
            self.open = Some(g);
        }
    }
}

/// Escapes text for an XML attribute or element.
pub(crate) fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            other => s.push(other),
        }
    }
    s
}

/// A document being drawn, and the handle through which drawing code names its groups.
#[derive(Clone, Debug)]
pub(crate) struct Canvas(Rc<RefCell<Doc>>);

impl Canvas {
    /// An empty document of `size` pixels.
    pub(crate) fn new(size: (u32, u32)) -> Self {
        Canvas(Rc::new(RefCell::new(Doc {
            size,
            body: String::new(),
            open: None,
            wanted: None,
            used: BTreeSet::new(),
        })))
    }

    /// The plotters backend that draws into this document.
    pub(crate) fn backend(&self) -> TaggedSvg {
        TaggedSvg { doc: self.clone() }
    }

    /// Elements drawn from now on go into `<g id="{id}" class="{class}">`.
    pub(crate) fn group(&self, id: impl Into<String>, class: &'static str) {
        self.0.borrow_mut().wanted = Some(Group {
            id: id.into(),
            class,
            dash: None,
        });
    }

    /// As [`Canvas::group`], with a dash pattern that the group's lines inherit.
    pub(crate) fn dashed_group(
        &self,
        id: impl Into<String>,
        class: &'static str,
        dash: &'static str,
    ) {
        self.0.borrow_mut().wanted = Some(Group {
            id: id.into(),
            class,
            dash: Some(dash),
        });
    }

    /// Elements drawn from now on go into no group.
    pub(crate) fn end_group(&self) {
        self.0.borrow_mut().wanted = None;
    }

    /// The finished document: plotters' `<svg>` header, a `<title>` and `<desc>` (shown by
    /// browsers as a tooltip, read by screen readers), the body, closing tags.
    pub(crate) fn finish(&self, title: &str, desc: &str) -> String {
        let mut doc = self.0.borrow_mut();
        doc.wanted = None;
        doc.sync();
        let mut head = String::new();
        {
            let mut svg = SVGBackend::with_string(&mut head, doc.size);
            // Presenting an empty buffer-backed document cannot fail.
            let _ = svg.present();
        }
        let header = head.lines().next().unwrap_or_default();
        format!(
            "{header}\n<title>{}</title>\n<desc>{}</desc>\n{}</svg>\n",
            escape(title),
            escape(desc),
            doc.body
        )
    }
}

/// A plotters [`DrawingBackend`] that renders each primitive with plotters' [`SVGBackend`] and
/// files it under the [`Canvas`]'s current group.
#[derive(Debug)]
pub(crate) struct TaggedSvg {
    doc: Canvas,
}

type Drawn = Result<(), DrawingErrorKind<io::Error>>;

impl TaggedSvg {
    fn emit(&mut self, draw: impl FnOnce(&mut SVGBackend<'_>) -> Drawn) -> Drawn {
        let size = self.doc.0.borrow().size;
        let mut scratch = String::new();
        {
            let mut svg = SVGBackend::with_string(&mut scratch, size);
            draw(&mut svg)?;
            svg.present()?;
        }
        // scratch = "<svg …>\n" + element(s) + "</svg>\n".
        let start = scratch.find('\n').map_or(scratch.len(), |i| i + 1);
        let end = scratch.rfind("</svg>").unwrap_or(scratch.len()).max(start);
        let element = &scratch[start..end];
        if element.is_empty() {
            // A transparent primitive: plotters wrote nothing, so open no group for it.
            return Ok(());
        }
        let mut doc = self.doc.0.borrow_mut();
        doc.sync();
        doc.body.push_str(element);
        Ok(())
    }
}

impl DrawingBackend for TaggedSvg {
    type ErrorType = io::Error;

    fn get_size(&self) -> (u32, u32) {
        self.doc.0.borrow().size
    }

    fn ensure_prepared(&mut self) -> Drawn {
        Ok(())
    }

    fn present(&mut self) -> Drawn {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        self.emit(|b| b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawn {
        self.emit(|b| b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        self.emit(|b| b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn {
        self.emit(|b| b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawn {
        self.emit(|b| b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawn {
        self.emit(|b| b.fill_polygon(vert, style))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Drawn {
        self.emit(|b| b.draw_text(text, style, pos))
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        Ok(text_size(text, style.size()))
    }
}

/// Estimated `(width, height)` in pixels of `text` at plotters font size `size`.
pub(crate) fn text_size(text: &str, size: f64) -> (u32, u32) {
    let em = size / PLOTTERS_FONT_SCALE;
    let chars = text.chars().count() as f64;
    // Both are small positive numbers of pixels: the casts cannot wrap.
    ((chars * em * CHAR_WIDTH_EM).ceil() as u32, em.ceil() as u32)
}
