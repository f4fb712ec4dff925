//! How nodes, edges and text look in the SVG.

use std::fmt::Write;

use layout::core::geometry::Point;

use super::NODE_FONT;
use crate::draw::look;
use crate::shape::{EdgeKind, ShapeNode};

const LINE_HEIGHT: f64 = 1.25;
const PAD_X: f64 = 14.0;
const PAD_Y: f64 = 9.0;

/// The size of a node's box: its name, padded; a diamond big enough to hold
/// the name for a router.
pub(super) fn node_size(node: &ShapeNode) -> (f64, f64) {
    let (w, h) = text_size(&node.name, NODE_FONT);
    if node.router {
        // The text's corners lie on the diamond when w/2/a + h/2/b = 1; a
        // diamond flatter than 1.6:1 looks like a line, narrower like a kite.
        let b = h / 2.0 / 0.38 + 4.0;
        let a = (w / 2.0 / 0.62 + 6.0).max(1.6 * b).max(40.0);
        (2.0 * a, 2.0 * b)
    } else {
        ((w + 2.0 * PAD_X).max(64.0), h + 2.0 * PAD_Y)
    }
}

/// A generous estimate of the width and height of `text` in DejaVu Sans at
/// `px`, so that names stay inside their boxes with the fonts SVG viewers
/// fall back on.
pub(super) fn text_size(text: &str, px: f64) -> (f64, f64) {
    let lines: Vec<&str> = text.split('\n').collect();
    let widest = lines
        .iter()
        .map(|line| line.chars().map(char_width).sum::<f64>())
        .fold(0.0, f64::max);
    (widest * px, lines.len() as f64 * LINE_HEIGHT * px)
}

/// A character's advance in em.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | '`' => 0.33,
        'f' | 'r' | 't' | 'I' | '(' | ')' | '[' | ']' | '{' | '}' | ' ' | '"' | '/' | '\\' => 0.45,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.95,
        'A'..='Z' | '#' | '&' | '_' => 0.75,
        c if c.is_ascii() => 0.64,
        // East Asian wide characters, emoji.
        c if u32::from(c) >= 0x1100 && !matches!(u32::from(c), 0x2000..=0x2BFF) => 1.05,
        _ => 0.7,
    }
}

pub(super) fn node_classes(node: &ShapeNode) -> String {
    let mut classes = String::new();
    for (on, class) in [
        (node.start, " start"),
        (node.end, " end"),
        (node.router, " router"),
        (node.stream, " stream"),
    ] {
        if on {
            classes.push_str(class);
        }
    }
    classes
}

/// The shape of a node: a diamond for a router, rounded more for start and
/// end nodes, a second border inside for an end node, dashed when streaming.
pub(super) fn node_outline(node: &ShapeNode, at: Point, size: Point) -> String {
    let fill = match (node.start, node.router) {
        (true, _) => look::START_FILL,
        (false, true) => look::ROUTER_FILL,
        (false, false) => look::NODE_FILL,
    };
    let stroke = if node.end {
        look::END_STROKE
    } else if node.router {
        look::ROUTER_STROKE
    } else if node.start {
        look::START_STROKE
    } else {
        look::INK
    };
    let dash = if node.stream {
        r#" stroke-dasharray="6 3""#
    } else {
        ""
    };
    let outline = |inset: f64, fill: &str| {
        let (x, y, w, h) = (
            at.x + inset,
            at.y + inset,
            size.x - 2.0 * inset,
            size.y - 2.0 * inset,
        );
        if node.router {
            format!(
                r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>"#,
                x + w / 2.0,
                y,
                x + w,
                y + h / 2.0,
                x + w / 2.0,
                y + h,
                x,
                y + h / 2.0
            )
        } else {
            let r = if node.start || node.end { h / 2.0 } else { 6.0 };
            format!(
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{r:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>"#
            )
        }
    };
    let mut out = outline(0.0, fill);
    if node.end {
        let inset = if node.router { 5.0 } else { 3.5 };
        out.push_str(&outline(inset, "none"));
    }
    out
}

/// `text` centred on `center`, one `<tspan>` per line, as element `id`.
pub(super) fn text_lines(text: &str, center: Point, px: f64, id: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let step = LINE_HEIGHT * px;
    let first = center.y - step * (lines.len() as f64 - 1.0) / 2.0 + 0.35 * px;
    let mut out = format!(
        r#"<text id="{id}" font-size="{px}" text-anchor="middle" fill="{}" xml:space="preserve">"#,
        look::INK
    );
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            out,
            r#"<tspan x="{:.1}" y="{:.1}">{}</tspan>"#,
            center.x,
            first + step * i as f64,
            xml(line)
        );
    }
    out.push_str("</text>");
    out
}

pub(super) fn kind_class(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Regular => "regular",
        EdgeKind::Parallel => "parallel",
        EdgeKind::RouterChoice => "router-choice",
        EdgeKind::Join => "join",
        EdgeKind::WaitingBranch { .. } => "waiting-branch",
        EdgeKind::DetachedBranch { .. } => "detached-branch",
    }
}

pub(super) fn marker_id(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Regular => "head-regular",
        EdgeKind::Parallel => "head-parallel",
        EdgeKind::RouterChoice => "head-router-choice",
        EdgeKind::Join => "head-join",
        EdgeKind::WaitingBranch { .. } => "head-waiting-branch",
        EdgeKind::DetachedBranch { .. } => "head-detached-branch",
    }
}

pub(super) fn edge_stroke(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Regular | EdgeKind::Parallel => r#"stroke-width="1.5""#,
        EdgeKind::RouterChoice => r#"stroke-width="1.5" stroke-dasharray="7 4""#,
        EdgeKind::Join => r#"stroke-width="3""#,
        EdgeKind::WaitingBranch { .. } | EdgeKind::DetachedBranch { .. } => {
            r#"stroke-width="1.5" stroke-dasharray="2 3""#
        }
    }
}

/// One arrow head per edge kind (its colour; a hollow circle for detached
/// branches), and a reversed one for edges the layout turned around.
pub(super) fn markers() -> String {
    let mut defs = String::from("<defs>\n");
    let mut written = Vec::new();
    for kind in look::EDGE_KINDS {
        let (id, color) = (marker_id(kind), look::color(kind));
        if written.contains(&id) {
            continue;
        }
        written.push(id);
        let (tip, tip_start) = if matches!(kind, EdgeKind::DetachedBranch { .. }) {
            let circle = format!(
                r#"<circle cx="5" cy="5" r="3.5" fill="white" stroke="{color}" stroke-width="1.5"/>"#
            );
            (circle.clone(), circle)
        } else {
            (
                format!(r#"<path d="M 0 0 L 10 5 L 0 10 z" fill="{color}"/>"#),
                format!(r#"<path d="M 10 0 L 0 5 L 10 10 z" fill="{color}"/>"#),
            )
        };
        let _ = writeln!(
            defs,
            r#"<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">{tip}</marker>"#
        );
        let _ = writeln!(
            defs,
            r#"<marker id="{id}-start" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">{tip_start}</marker>"#
        );
    }
    defs.push_str("</defs>\n");
    defs
}

/// Text for XML: markup characters escaped, control characters other than
/// a newline (which XML 1.0 cannot hold) shown as their control pictures, as
/// in the DOT.
pub(super) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push(crate::draw::control_picture(c)),
            c => out.push(c),
        }
    }
    out
}
