//! Max-pooling layers (1-D and 2-D) with a documented tie rule, their backward pass, and their
//! Lipschitz constants.
//!
//! A max-pooling output `y_j = max_{i in w_j} x_i` is Lipschitz and piecewise linear. Where
//! several inputs of a window attain the maximum (a *tie*), `max` is not differentiable and a
//! backward pass must pick one element of the generalised gradient: here the [`TieRule`] picks
//! the first (lowest index, row-major in 2-D) or the last maximiser, and the whole output
//! gradient of the window is routed to it.
//!
//! Després (TMLR 2025) shows, from the chain rule of Murat and Trombetti for Lipschitz,
//! piecewise-`C^1` compositions, that for `y = G(u(x))` with `G` a max-pooling and `u`
//! Lipschitz, `grad y(x) = grad G_j(u(x)) grad u(x)` almost everywhere for **any** active
//! piece `j`: on the tie set `{u_i = u_k}`, a Stampacchia argument gives
//! `grad u_i = grad u_k` almost everywhere. Hence the gradient computed with either rule equals
//! the true derivative except on a set of measure zero, and the tie rule does not change the
//! `L^1_loc` derivative, nor gradient-based training on data drawn from a density.
//!
//! Lipschitz constants: with `c` the largest number of windows that contain one input,
//! `|y - y'|_inf <= |x - x'|_inf`, `|y - y'|_2 <= sqrt(c) |x - x'|_2`,
//! `|y - y'|_1 <= c |x - x'|_1` (each `|max_w x - max_w x'| <= max_{i in w} |x_i - x'_i|`).
//!
//! # References
//! B. Després, *A functional framework for nonsmooth autodiff with maxpooling functions*,
//! Transactions on Machine Learning Research, 2025. F. Murat and C. Trombetti, *A chain rule
//! formula for the composition of a vector-valued function by a piecewise smooth function*,
//! Boll. Unione Mat. Ital. 6 (2003).

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};
use crate::norms::Norm;

/// Which maximiser of a window receives the gradient at a tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TieRule {
    /// The lowest index (row-major in 2-D), as most deep-learning libraries do.
    #[default]
    First,
    /// The highest index.
    Last,
}

/// 1-D max-pooling `y_j = max_{0 <= r < kernel} x_{j stride + r}` without padding.
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `kernel` | window length | `>= 1` |
/// | `stride` | step between windows | `>= 1` |
/// | `tie` | maximiser that receives the gradient | [`TieRule`] |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxPool1d {
    kernel: usize,
    stride: usize,
    tie: TieRule,
}

/// Output of a forward pass: values and the index of the selected maximiser per window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    /// Pooled values.
    pub values: Vec<f64>,
    /// Flat input index selected in each window (row-major in 2-D).
    pub argmax: Vec<usize>,
    /// Number of windows where the maximum was attained more than once.
    pub ties: usize,
}

impl MaxPool1d {
    /// A validated layer.
    ///
    /// ```
    /// use lipschitz::maxpool::{MaxPool1d, TieRule};
    /// let p = MaxPool1d::new(2, 2, TieRule::First)?;
    /// let y = p.forward(&[1.0, 3.0, 2.0, 2.0]);
    /// assert_eq!(y.values, vec![3.0, 2.0]);
    /// assert_eq!(y.argmax, vec![1, 2]); // the tie in the second window goes to index 2
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `kernel` or `stride` is 0.
    pub fn new(kernel: usize, stride: usize, tie: TieRule) -> Result<Self> {
        if kernel == 0 {
            return Err(LipError::invalid("kernel", kernel, "at least 1"));
        }
        if stride == 0 {
            return Err(LipError::invalid("stride", stride, "at least 1"));
        }
        Ok(Self { kernel, stride, tie })
    }

    /// Number of windows for an input of length `n` (0 if `n < kernel`).
    pub fn output_len(&self, n: usize) -> usize {
        if n < self.kernel { 0 } else { (n - self.kernel) / self.stride + 1 }
    }

    /// Pools `x`.
    pub fn forward(&self, x: &[f64]) -> Pooled {
        let n_out = self.output_len(x.len());
        let mut out = Pooled {
            values: Vec::with_capacity(n_out),
            argmax: Vec::with_capacity(n_out),
            ties: 0,
        };
        for j in 0..n_out {
            let window = (j * self.stride..j * self.stride + self.kernel).map(|i| (i, x[i]));
            let (v, i, tie) = select(window, self.tie);
            out.values.push(v);
            out.argmax.push(i);
            out.ties += usize::from(tie);
        }
        out
    }

    /// Gradient with respect to the input (length `n_in`) given the output gradient.
    ///
    /// # Panics
    /// If `grad_out` and `pooled.argmax` differ in length or an index is out of range.
    #[track_caller]
    pub fn backward(&self, n_in: usize, pooled: &Pooled, grad_out: &[f64]) -> Vec<f64> {
        route(n_in, &pooled.argmax, grad_out)
    }

    /// The pooling of inputs of length `n` written exactly as a ReLU network (the *explicit*
    /// treatment), for windows of length 2: `max(a, b) = relu(a - b) + relu(b) - relu(-b)`, one
    /// hidden layer of three units per window and identity output. Compose it with
    /// [`ReluNet::compose`](crate::ReluNet::compose) to analyse networks with pooling by every
    /// bound and by exact enumeration.
    ///
    /// ```
    /// use lipschitz::maxpool::{MaxPool1d, TieRule};
    /// let p = MaxPool1d::new(2, 2, TieRule::First)?;
    /// let net = p.as_relu_net(4)?;
    /// assert_eq!(net.forward(&[1.0, -3.0, 0.5, 2.0]), vec![1.0, 2.0]);
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if the kernel is not 2 or `n < 2`.
    pub fn as_relu_net(&self, n: usize) -> Result<crate::ReluNet> {
        if self.kernel != 2 {
            return Err(LipError::invalid("kernel", self.kernel, "2 for the explicit ReLU form"));
        }
        let n_out = self.output_len(n);
        if n_out == 0 {
            return Err(LipError::invalid("n", n, "at least the kernel length"));
        }
        let mut h = Mat::zeros(3 * n_out, n);
        let mut o = Mat::zeros(n_out, 3 * n_out);
        for j in 0..n_out {
            let (a, b) = (j * self.stride, j * self.stride + 1);
            h[(3 * j, a)] = 1.0;
            h[(3 * j, b)] = -1.0;
            h[(3 * j + 1, b)] = 1.0;
            h[(3 * j + 2, b)] = -1.0;
            o[(j, 3 * j)] = 1.0;
            o[(j, 3 * j + 1)] = 1.0;
            o[(j, 3 * j + 2)] = -1.0;
        }
        crate::ReluNet::new(vec![h, o], None)
    }

    /// Lipschitz constant bound in `norm` for inputs of length `n` (see the module docs);
    /// exact (= 1) in l-inf, and in every norm for non-overlapping windows.
    pub fn lipschitz_bound(&self, norm: Norm, n: usize) -> f64 {
        let mut count = vec![0usize; n];
        for j in 0..self.output_len(n) {
            for c in count.iter_mut().skip(j * self.stride).take(self.kernel) {
                *c += 1;
            }
        }
        constant_from_multiplicity(norm, count.into_iter().max().unwrap_or(0))
    }
}

/// 2-D max-pooling of an `h x w` image (one channel) with windows `kernel = (kh, kw)` and
/// strides `stride = (sh, sw)`, no padding. See [`MaxPool1d`] for the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxPool2d {
    kernel: (usize, usize),
    stride: (usize, usize),
    tie: TieRule,
}

impl MaxPool2d {
    /// A validated layer.
    ///
    /// ```
    /// use lipschitz::maxpool::{MaxPool2d, TieRule};
    /// let p = MaxPool2d::new((2, 2), (2, 2), TieRule::Last)?;
    /// let x = faer::mat![[1.0, 4.0], [4.0, 0.0]];
    /// let y = p.forward(x.as_ref());
    /// assert_eq!(y.values, vec![4.0]);
    /// assert_eq!((y.argmax[0], y.ties), (2, 1)); // row-major index of (1, 0)
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if a kernel or stride size is 0.
    pub fn new(kernel: (usize, usize), stride: (usize, usize), tie: TieRule) -> Result<Self> {
        if kernel.0 == 0 || kernel.1 == 0 {
            return Err(LipError::invalid("kernel", format!("{kernel:?}"), "positive sizes"));
        }
        if stride.0 == 0 || stride.1 == 0 {
            return Err(LipError::invalid("stride", format!("{stride:?}"), "positive sizes"));
        }
        Ok(Self { kernel, stride, tie })
    }

    /// Output shape for an `h x w` input.
    pub fn output_shape(&self, h: usize, w: usize) -> (usize, usize) {
        let f = |n: usize, k: usize, s: usize| if n < k { 0 } else { (n - k) / s + 1 };
        (f(h, self.kernel.0, self.stride.0), f(w, self.kernel.1, self.stride.1))
    }

    /// Pools `x`; outputs are listed row-major.
    pub fn forward(&self, x: faer::MatRef<'_, f64>) -> Pooled {
        let (oh, ow) = self.output_shape(x.nrows(), x.ncols());
        let w = x.ncols();
        let mut out = Pooled {
            values: Vec::with_capacity(oh * ow),
            argmax: Vec::with_capacity(oh * ow),
            ties: 0,
        };
        for a in 0..oh {
            for b in 0..ow {
                let (r0, c0) = (a * self.stride.0, b * self.stride.1);
                let window = (r0..r0 + self.kernel.0)
                    .flat_map(|r| (c0..c0 + self.kernel.1).map(move |c| (r * w + c, x[(r, c)])));
                let (v, i, tie) = select(window, self.tie);
                out.values.push(v);
                out.argmax.push(i);
                out.ties += usize::from(tie);
            }
        }
        out
    }

    /// Gradient with respect to the `h x w` input given the output gradient (row-major).
    ///
    /// # Panics
    /// If `grad_out` and `pooled.argmax` differ in length or an index is out of range.
    #[track_caller]
    pub fn backward(&self, h: usize, w: usize, pooled: &Pooled, grad_out: &[f64]) -> Mat<f64> {
        let g = route(h * w, &pooled.argmax, grad_out);
        Mat::from_fn(h, w, |r, c| g[r * w + c])
    }

    /// Lipschitz constant bound in `norm` for `h x w` inputs (see the module docs).
    pub fn lipschitz_bound(&self, norm: Norm, h: usize, w: usize) -> f64 {
        let rows = MaxPool1d { kernel: self.kernel.0, stride: self.stride.0, tie: self.tie };
        let cols = MaxPool1d { kernel: self.kernel.1, stride: self.stride.1, tie: self.tie };
        let mult = |p: &MaxPool1d, n: usize| {
            let mut count = vec![0usize; n];
            for j in 0..p.output_len(n) {
                for c in count.iter_mut().skip(j * p.stride).take(p.kernel) {
                    *c += 1;
                }
            }
            count.into_iter().max().unwrap_or(0)
        };
        constant_from_multiplicity(norm, mult(&rows, h) * mult(&cols, w))
    }
}

fn constant_from_multiplicity(norm: Norm, c: usize) -> f64 {
    if c == 0 {
        return 0.0;
    }
    match norm {
        Norm::LInf => 1.0,
        Norm::L2 => (c as f64).sqrt(),
        Norm::L1 => c as f64,
    }
}

/// Maximum of a window, the selected index and whether the maximum is attained twice.
// Ties are exact equalities of floating-point values by definition of the tie set.
#[allow(clippy::float_cmp)]
fn select(window: impl Iterator<Item = (usize, f64)>, tie: TieRule) -> (f64, usize, bool) {
    let mut best = (f64::NEG_INFINITY, usize::MAX, false);
    for (i, v) in window {
        if best.1 == usize::MAX || v > best.0 {
            best = (v, i, false);
        } else if v == best.0 {
            best.2 = true;
            if tie == TieRule::Last {
                best.1 = i;
            }
        }
    }
    best
}

#[track_caller]
fn route(n_in: usize, argmax: &[usize], grad_out: &[f64]) -> Vec<f64> {
    assert_eq!(argmax.len(), grad_out.len(), "max-pooling backward: one gradient per output");
    let mut g = vec![0.0; n_in];
    for (&i, &go) in argmax.iter().zip(grad_out) {
        g[i] += go;
    }
    g
}
