//! Convolutions as dense matrices, so that every bound of the crate applies to convolutional
//! networks.
//!
//! A valid (no padding) one-channel convolution `y_j = sum_r k_r x_{j s + r}` is the banded
//! matrix returned by [`conv1d_matrix`] ([`conv1d_multichannel_matrix`] for several channels);
//! [`conv2d_matrix`] does the same for images stored row-major. Combined with [`MaxPool1d::as_relu_net`](crate::maxpool::MaxPool1d::as_relu_net)
//! (max-pooling written exactly as ReLU layers, the *explicit* treatment) and
//! [`ReluNet::compose`](crate::ReluNet::compose), a convolutional network becomes a
//! [`ReluNet`](crate::ReluNet). The *implicit* treatment keeps the pooling as a black box of
//! known constant ([`MaxPool1d::lipschitz_bound`](crate::maxpool::MaxPool1d::lipschitz_bound))
//! inside a norm product.
//!
//! # References
//! M. Pintore and B. Després, *Computable Lipschitz bounds for deep neural networks*,
//! arXiv:2410.21053, 2024 (explicit and implicit treatments of convolutional networks).

use faer::{Mat, MatRef};

use crate::error::{LipError, Result};

/// The `n_out x n_in` matrix of the valid 1-D convolution (cross-correlation) with `kernel`
/// and `stride`, `n_out = (n_in - len) / stride + 1`.
///
/// ```
/// use lipschitz::conv::conv1d_matrix;
/// let c = conv1d_matrix(&[1.0, -1.0], 4, 1)?;
/// assert_eq!((c.nrows(), c.ncols()), (3, 4));
/// assert_eq!((c[(1, 1)], c[(1, 2)]), (1.0, -1.0));
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if the kernel is empty or longer than the input, `stride`
/// is 0, or an entry is not finite.
pub fn conv1d_matrix(kernel: &[f64], n_in: usize, stride: usize) -> Result<Mat<f64>> {
    if kernel.is_empty() || kernel.len() > n_in {
        return Err(LipError::invalid(
            "kernel",
            format!("length {}", kernel.len()),
            "between 1 and the input length",
        ));
    }
    if stride == 0 {
        return Err(LipError::invalid("stride", stride, "at least 1"));
    }
    if !kernel.iter().all(|v| v.is_finite()) {
        return Err(LipError::invalid("kernel", "non-finite entry", "finite entries"));
    }
    let n_out = (n_in - kernel.len()) / stride + 1;
    Ok(Mat::from_fn(n_out, n_in, |j, i| {
        let start = j * stride;
        if i >= start && i < start + kernel.len() { kernel[i - start] } else { 0.0 }
    }))
}

/// The matrix of the valid 2-D convolution of an `h x w` image (row-major) with `kernel`
/// (`kh x kw`) and strides `(sh, sw)`; outputs are row-major too.
///
/// # Errors
/// [`LipError::InvalidParameter`] if the kernel is empty or larger than the image, a stride is
/// 0, or an entry is not finite.
pub fn conv2d_matrix(
    kernel: MatRef<'_, f64>,
    h: usize,
    w: usize,
    stride: (usize, usize),
) -> Result<Mat<f64>> {
    let (kh, kw) = (kernel.nrows(), kernel.ncols());
    if kh == 0 || kw == 0 || kh > h || kw > w {
        return Err(LipError::invalid(
            "kernel",
            format!("{kh}x{kw} on {h}x{w}"),
            "non-empty and within the image",
        ));
    }
    if stride.0 == 0 || stride.1 == 0 {
        return Err(LipError::invalid("stride", format!("{stride:?}"), "positive"));
    }
    if !(0..kw).all(|j| (0..kh).all(|i| kernel[(i, j)].is_finite())) {
        return Err(LipError::invalid("kernel", "non-finite entry", "finite entries"));
    }
    let (oh, ow) = ((h - kh) / stride.0 + 1, (w - kw) / stride.1 + 1);
    let mut m = Mat::zeros(oh * ow, h * w);
    for a in 0..oh {
        for b in 0..ow {
            for r in 0..kh {
                for c in 0..kw {
                    m[(a * ow + b, (a * stride.0 + r) * w + b * stride.1 + c)] = kernel[(r, c)];
                }
            }
        }
    }
    Ok(m)
}

/// The `(c_out n_out) x (c_in n_in)` block-Toeplitz matrix of a valid multi-channel 1-D
/// convolution (cross-correlation) with `stride`:
///
/// ```text
/// y[o][j] = sum_{c < c_in} sum_{r < len} kernels[o][c][r] x[c][j stride + r],
/// n_out = (n_in - len) / stride + 1,
/// ```
///
/// with inputs and outputs stored channel after channel (`x[c][i]` at index `c n_in + i`).
/// Block `(o, c)` is [`conv1d_matrix`] of `kernels[o][c]`, so a convolutional layer becomes a
/// dense layer of a [`ReluNet`](crate::ReluNet) and every bound of the crate applies to it.
///
/// | argument | meaning | valid |
/// |---|---|---|
/// | `kernels` | `c_out x c_in` kernels, all of the same length `len` | `1 <= len <= n_in`, finite |
/// | `n_in` | input length per channel | `>= len` |
/// | `stride` | step between windows | `>= 1` |
///
/// ```
/// use lipschitz::conv::conv1d_multichannel_matrix;
/// // Two input channels summed by one output channel with kernels [1] and [2].
/// let c = conv1d_multichannel_matrix(&[vec![vec![1.0], vec![2.0]]], 3, 1)?;
/// assert_eq!((c.nrows(), c.ncols()), (3, 6));
/// assert_eq!((c[(1, 1)], c[(1, 4)]), (1.0, 2.0));
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if there is no output or input channel, the kernels differ
/// in length, or a kernel is invalid for [`conv1d_matrix`].
pub fn conv1d_multichannel_matrix(
    kernels: &[Vec<Vec<f64>>],
    n_in: usize,
    stride: usize,
) -> Result<Mat<f64>> {
    let c_out = kernels.len();
    let c_in = kernels.first().map_or(0, Vec::len);
    if c_out == 0 || c_in == 0 {
        return Err(LipError::invalid(
            "kernels",
            format!("{c_out} x {c_in} channels"),
            "at least one output and one input channel",
        ));
    }
    let len = kernels[0][0].len();
    if kernels.iter().any(|row| row.len() != c_in || row.iter().any(|k| k.len() != len)) {
        return Err(LipError::invalid(
            "kernels",
            "ragged channels or lengths",
            "c_out x c_in kernels of one length",
        ));
    }
    let blocks: Vec<Vec<Mat<f64>>> = kernels
        .iter()
        .map(|row| row.iter().map(|k| conv1d_matrix(k, n_in, stride)).collect())
        .collect::<Result<_>>()?;
    let n_out = blocks[0][0].nrows();
    Ok(Mat::from_fn(c_out * n_out, c_in * n_in, |i, j| {
        blocks[i / n_out][j / n_in][(i % n_out, j % n_in)]
    }))
}
