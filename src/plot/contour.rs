//! Contour lines of a function sampled on a grid (marching squares), joined into polylines.
//!
//! Each grid cell whose corners straddle the level contributes one segment (two at a saddle,
//! resolved by the cell's mean value) between points interpolated linearly on its edges. A point
//! is named by its edge, which neighbouring cells share, so segments are joined into polylines by
//! exact key equality rather than by comparing floating-point coordinates. The output order
//! depends only on the grid: deterministic.

use std::collections::HashMap;

/// Values on a rectangular grid: `values[j][i] = f(xs[i], ys[j])`.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub values: Vec<Vec<f64>>,
}

/// An edge of the grid: the horizontal edge from `(i, j)` to `(i+1, j)` or the vertical edge
/// from `(i, j)` to `(i, j+1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Edge {
    H(usize, usize),
    V(usize, usize),
}

impl Grid {
    /// Samples `f` on an `nx × ny` grid over `[x0, x1] × [y0, y1]`.
    pub(crate) fn sample(
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
        (nx, ny): (usize, usize),
        mut f: impl FnMut(f64, f64) -> f64,
    ) -> Grid {
        let nx = nx.max(2);
        let ny = ny.max(2);
        let xs: Vec<f64> = (0..nx)
            .map(|i| x0 + (x1 - x0) * i as f64 / (nx - 1) as f64)
            .collect();
        let ys: Vec<f64> = (0..ny)
            .map(|j| y0 + (y1 - y0) * j as f64 / (ny - 1) as f64)
            .collect();
        let values = ys
            .iter()
            .map(|&y| xs.iter().map(|&x| f(x, y)).collect())
            .collect();
        Grid { xs, ys, values }
    }

    fn point(&self, e: Edge, level: f64) -> (f64, f64) {
        let (a, b, pa, pb) = match e {
            Edge::H(i, j) => (
                self.values[j][i],
                self.values[j][i + 1],
                (self.xs[i], self.ys[j]),
                (self.xs[i + 1], self.ys[j]),
            ),
            Edge::V(i, j) => (
                self.values[j][i],
                self.values[j + 1][i],
                (self.xs[i], self.ys[j]),
                (self.xs[i], self.ys[j + 1]),
            ),
        };
        let t = if b == a {
            0.5
        } else {
            ((level - a) / (b - a)).clamp(0.0, 1.0)
        };
        (pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1))
    }

    /// The contour lines `f = level` as polylines.
    pub(crate) fn contour(&self, level: f64) -> Vec<Vec<(f64, f64)>> {
        let mut segments: Vec<(Edge, Edge)> = Vec::new();
        for j in 0..self.ys.len().saturating_sub(1) {
            for i in 0..self.xs.len().saturating_sub(1) {
                let c = [
                    self.values[j][i],
                    self.values[j][i + 1],
                    self.values[j + 1][i + 1],
                    self.values[j + 1][i],
                ];
                if c.iter().any(|v| !v.is_finite()) {
                    continue;
                }
                let case = c
                    .iter()
                    .enumerate()
                    .fold(0u8, |acc, (b, v)| acc | (u8::from(*v > level) << b));
                let (bottom, right, top, left) = (
                    Edge::H(i, j),
                    Edge::V(i + 1, j),
                    Edge::H(i, j + 1),
                    Edge::V(i, j),
                );
                let centre_above = c.iter().sum::<f64>() / 4.0 > level;
                match case {
                    1 | 14 => segments.push((left, bottom)),
                    2 | 13 => segments.push((bottom, right)),
                    3 | 12 => segments.push((left, right)),
                    4 | 11 => segments.push((right, top)),
                    6 | 9 => segments.push((bottom, top)),
                    7 | 8 => segments.push((left, top)),
                    // Saddles: the corners on the centre's side are connected through it.
                    5 if centre_above => segments.extend([(bottom, right), (top, left)]),
                    5 => segments.extend([(left, bottom), (right, top)]),
                    10 if centre_above => segments.extend([(left, bottom), (right, top)]),
                    10 => segments.extend([(bottom, right), (top, left)]),
                    _ => {}
                }
            }
        }
        self.join(&segments, level)
    }

    fn join(&self, segments: &[(Edge, Edge)], level: f64) -> Vec<Vec<(f64, f64)>> {
        // Used for look-ups only (never iterated), so its order cannot leak into the output.
        let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
        for (n, (a, b)) in segments.iter().enumerate() {
            at.entry(*a).or_default().push(n);
            at.entry(*b).or_default().push(n);
        }
        let mut used = vec![false; segments.len()];
        let mut lines = Vec::new();
        let next = |from: Edge, used: &mut Vec<bool>| -> Option<Edge> {
            let n = *at.get(&from)?.iter().find(|n| !used[**n])?;
            used[n] = true;
            let (a, b) = segments[n];
            Some(if a == from { b } else { a })
        };
        for (n, (a, b)) in segments.iter().enumerate() {
            if used[n] {
                continue;
            }
            used[n] = true;
            let mut forward = vec![*a, *b];
            while let Some(e) = next(*forward.last().unwrap_or(b), &mut used) {
                forward.push(e);
            }
            let mut backward = Vec::new();
            let mut head = *a;
            while let Some(e) = next(head, &mut used) {
                backward.push(e);
                head = e;
            }
            backward.reverse();
            backward.extend(forward);
            lines.push(backward.into_iter().map(|e| self.point(e, level)).collect());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_contour_is_one_closed_polyline_on_the_circle() {
        let g = Grid::sample((-2.0, 2.0), (-2.0, 2.0), (41, 41), |x, y| x * x + y * y);
        let lines = g.contour(1.0);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(
            line.first(),
            line.last(),
            "a closed curve comes back to its start"
        );
        for (x, y) in line {
            // Linear interpolation of r² on a 0.1 grid is within 0.01 of the circle.
            assert!(((x * x + y * y).sqrt() - 1.0).abs() < 0.01);
        }
    }

    #[test]
    fn levels_outside_the_range_give_nothing() {
        let g = Grid::sample((0.0, 1.0), (0.0, 1.0), (5, 5), |x, y| x + y);
        assert!(g.contour(5.0).is_empty());
        assert!(g.contour(-1.0).is_empty());
    }
}
