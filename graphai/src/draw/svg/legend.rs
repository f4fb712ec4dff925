//! The key under the picture.

use std::fmt::Write;

use layout::core::geometry::Point;

use super::LABEL_FONT;
use super::paint::{edge_stroke, marker_id, node_outline, text_size, xml};
use crate::draw::look;
use crate::shape::{EdgeKind, GraphShape, ShapeNode};

/// The key under the graph: the node kinds it uses in one column, the edge
/// kinds in another, and a note on `(if)` when a branch has a condition.
pub(super) struct Legend {
    nodes: Vec<(ShapeNode, &'static str)>,
    edges: Vec<(EdgeKind, &'static str)>,
    note: Option<&'static str>,
    pub(super) width: f64,
    pub(super) height: f64,
}

const LEGEND_ROW: f64 = 20.0;
const LEGEND_SWATCH: f64 = 46.0;
const LEGEND_PAD: f64 = 10.0;
const LEGEND_GAP: f64 = 28.0;

impl Legend {
    pub(super) fn of(shape: &GraphShape) -> Self {
        let all = shape.nodes();
        let node = |start, end, router, stream| ShapeNode {
            name: String::new(),
            start,
            end,
            router,
            stream,
        };
        let nodes: Vec<_> = [
            (
                all.iter().any(|n| n.start),
                node(true, false, false, false),
                "start",
            ),
            (
                all.iter().any(|n| n.end),
                node(false, true, false, false),
                "end",
            ),
            (
                all.iter().any(|n| n.router),
                node(false, false, true, false),
                "router",
            ),
            (
                all.iter().any(|n| n.stream),
                node(false, false, false, true),
                "streaming",
            ),
        ]
        .into_iter()
        .filter(|(used, ..)| *used)
        .map(|(_, node, text)| (node, text))
        .collect();
        let edges: Vec<_> = [
            (EdgeKind::Regular, "next"),
            (EdgeKind::Parallel, "parallel"),
            (EdgeKind::RouterChoice, "router choice"),
            (EdgeKind::Join, "join"),
            (
                EdgeKind::WaitingBranch { conditional: false },
                "branch (waited for)",
            ),
            (
                EdgeKind::DetachedBranch { conditional: false },
                "detached branch",
            ),
        ]
        .into_iter()
        .filter(|(kind, _)| {
            let same = |k: EdgeKind| std::mem::discriminant(&k) == std::mem::discriminant(kind);
            shape.edges().iter().any(|e| same(e.kind))
        })
        .collect();
        let note = (shape.edges().iter().any(|e| e.kind.is_conditional()))
            .then_some("(if): the branch runs only when its condition holds");

        let column = |texts: &mut dyn Iterator<Item = &str>| {
            let widest = texts
                .map(|t| text_size(t, LABEL_FONT as f64).0)
                .fold(-1.0, f64::max);
            if widest < 0.0 {
                0.0
            } else {
                LEGEND_SWATCH + 8.0 + widest
            }
        };
        let columns = column(&mut nodes.iter().map(|(_, t)| *t))
            + column(&mut edges.iter().map(|(_, t)| *t))
            + if nodes.is_empty() || edges.is_empty() {
                0.0
            } else {
                LEGEND_GAP
            };
        let note_width = note.map_or(0.0, |n| text_size(n, LABEL_FONT as f64).0);
        let rows = nodes.len().max(edges.len()) + usize::from(note.is_some());
        let empty = rows == 0;
        Self {
            width: if empty {
                0.0
            } else {
                columns.max(note_width) + 2.0 * LEGEND_PAD
            },
            height: if empty {
                0.0
            } else {
                LEGEND_ROW * rows as f64 + 2.0 * LEGEND_PAD + 14.0
            },
            nodes,
            edges,
            note,
        }
    }

    pub(super) fn write(&self, svg: &mut String, x: f64, y: f64) {
        if self.height == 0.0 {
            return;
        }
        let (x, y) = (x, y + 14.0);
        let _ = write!(
            svg,
            r##"<g class="legend"><rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" rx="6" fill="white" stroke="#cbd5e1"/>"##,
            self.width,
            self.height - 14.0
        );
        let row = |i: usize| y + LEGEND_PAD + LEGEND_ROW * (i as f64 + 0.5);
        let mut left = x + LEGEND_PAD;
        for (i, (node, text)) in self.nodes.iter().enumerate() {
            let size = Point::new(if node.router { 30.0 } else { 36.0 }, 16.0);
            let at = Point::new(left + (LEGEND_SWATCH - size.x) / 2.0, row(i) - 8.0);
            svg.push_str(&node_outline(node, at, size));
            legend_text(svg, left + LEGEND_SWATCH + 8.0, row(i), text);
        }
        if !self.nodes.is_empty() {
            let widest = (self.nodes.iter())
                .map(|(_, t)| text_size(t, LABEL_FONT as f64).0)
                .fold(0.0, f64::max);
            left += LEGEND_SWATCH + 8.0 + widest + LEGEND_GAP;
        }
        for (i, (kind, text)) in self.edges.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<path d="M {:.1} {middle:.1} L {:.1} {middle:.1}" fill="none" stroke="{}" {} marker-end="url(#{})"/>"#,
                left + 2.0,
                left + LEGEND_SWATCH - 4.0,
                look::color(*kind),
                edge_stroke(*kind),
                marker_id(*kind),
                middle = row(i),
            );
            legend_text(svg, left + LEGEND_SWATCH + 8.0, row(i), text);
        }
        if let Some(note) = self.note {
            let last = self.nodes.len().max(self.edges.len());
            legend_text(svg, x + LEGEND_PAD, row(last), note);
        }
        svg.push_str("</g>\n");
    }
}

fn legend_text(svg: &mut String, x: f64, middle: f64, text: &str) {
    let _ = write!(
        svg,
        r#"<text x="{x:.1}" y="{:.1}" font-size="{LABEL_FONT}" fill="{}">{}</text>"#,
        middle + 4.0,
        look::INK,
        xml(text)
    );
}
