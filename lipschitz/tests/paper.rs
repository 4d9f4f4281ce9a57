//! The checks of the crate against closed forms and invariants, at small size.

use faer::Mat;
use lipschitz::bounds::{
    abs_product, combettes_pesquet, combettes_pesquet_norm, jacobian_interval, norm_product,
    norm_product_power, seqlip_exhaustive, seqlip_greedy, split_abs,
};
use lipschitz::{
    Domain, ExactConfig, LowerConfig, Norm, ReluNet, exact_lipschitz, exact_lipschitz_1d,
    operator_norm, sampled_lower_bound, spectral_norm,
};
use megavolt_core::Seed;

/// Relative rounding allowance for comparisons of computed norms (products of a few
/// matrices of width <= 30 and an SVD).
const RTOL: f64 = 1e-12;

fn w1() -> Mat<f64> {
    faer::mat![[1.0], [-1.0]]
}

fn identity_net() -> ReluNet {
    ReluNet::new(vec![w1(), faer::mat![[1.0, -1.0]]], None).unwrap()
}

fn abs_net() -> ReluNet {
    ReluNet::new(vec![w1(), faer::mat![[1.0, 1.0]]], None).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= RTOL * (1.0 + b.abs())
}

mod closed_forms {
    use super::*;

    #[test]
    fn identity_net_has_constant_one_and_bounds_two() {
        let net = identity_net();
        for norm in Norm::ALL {
            let r = exact_lipschitz(&net, &ExactConfig::new(norm)).unwrap();
            assert!(close(r.value, 1.0), "{norm:?}: {}", r.value);
            // Both-active at x = 0 is feasible only on a point: two regions, not three.
            assert_eq!(r.n_regions, 2);
            assert!(close(exact_lipschitz_1d(&net, norm, None).unwrap().0, 1.0));
        }
        assert!(close(norm_product(&net, Norm::L2).unwrap(), 2.0));
        assert!(close(spectral_norm(net.weight_product().as_ref()).unwrap(), 2.0));
        assert!(close(combettes_pesquet(&net).unwrap(), 2.0));
        // Pattern supersets cannot see that both-on is unrealisable.
        assert!(close(seqlip_exhaustive(&net, 8).unwrap().value, 2.0));
        assert!(close(abs_product(&net, Norm::LInf).unwrap(), 2.0));
        // (|W2 W1| + |W2| |W1|) / 2 = (2 + 2) / 2 in every norm, summed entrywise or not.
        for norm in Norm::ALL {
            assert!(close(combettes_pesquet_norm(&net, norm).unwrap(), 2.0));
            assert!(close(split_abs(&net, norm).unwrap(), 2.0));
        }
    }

    #[test]
    fn abs_net_has_constant_one_and_cp_is_exact() {
        let net = abs_net();
        assert!(close(exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value, 1.0));
        assert!(close(combettes_pesquet(&net).unwrap(), 1.0));
        assert!(close(norm_product(&net, Norm::L2).unwrap(), 2.0));
        assert!(spectral_norm(net.weight_product().as_ref()).unwrap().abs() < 1e-15);
        assert!(close(seqlip_exhaustive(&net, 8).unwrap().value, 1.0));
        assert!(close(jacobian_interval(&net, Norm::LInf).unwrap(), 1.0));
        assert!(close(abs_product(&net, Norm::LInf).unwrap(), 2.0));
        // (|W2 W1| + |W2| |W1|) / 2 = (0 + 2) / 2: exact in every norm.
        for norm in Norm::ALL {
            assert!(close(exact_lipschitz(&net, &ExactConfig::new(norm)).unwrap().value, 1.0));
            assert!(close(combettes_pesquet_norm(&net, norm).unwrap(), 1.0));
            assert!(close(split_abs(&net, norm).unwrap(), 1.0));
        }
    }

    #[test]
    fn splittings_are_exact_where_the_abs_product_is_not() {
        // f(x) = relu(x1 - x2) + relu(x2 - x1) = |x1 - x2| after an identity first layer:
        // W1 = I, W2 = [[1, -1], [-1, 1]], W3 = [1, 1]. The l-inf constant is 2 (gradient
        // (1, -1) or (-1, 1)); |W3 W2 W1| = 0 entrywise.
        let net = ReluNet::new(
            vec![Mat::identity(2, 2), faer::mat![[1.0, -1.0], [-1.0, 1.0]], faer::mat![[1.0, 1.0]]],
            None,
        )
        .unwrap();
        let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::LInf)).unwrap().value;
        assert!(close(exact, 2.0));
        // By hand, G_1 = |W1| = I, G_2 = |W2 W1| + |W2| G_1 = 2 |W2|,
        // G_3 = |W3 W2 W1| + |W3 W2| G_1 + |W3| G_2 = 0 + 0 + 2 [2, 2]: split-abs = 8 / 4 = 2.
        assert!(close(split_abs(&net, Norm::LInf).unwrap(), 2.0));
        // Block norms: F_1 = 1, F_2 = |W2 W1| + |W2| F_1 = 4, F_3 = 0 + 0 + |W3| F_2 = 8 -> 2.
        assert!(close(combettes_pesquet_norm(&net, Norm::LInf).unwrap(), 2.0));
        // |W3| |W2| |W1| = [2, 2]: 4.
        assert!(close(abs_product(&net, Norm::LInf).unwrap(), 4.0));
    }

    #[test]
    fn separable_sum_of_relus() {
        // f(x) = relu(x1) + relu(x2): L2 = sqrt 2 (gradient (1, 1)), L_inf = 2 (row sum).
        let net = ReluNet::new(vec![Mat::identity(2, 2), faer::mat![[1.0, 1.0]]], None).unwrap();
        let l2 = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap();
        assert!(close(l2.value, 2f64.sqrt()));
        assert_eq!(l2.n_regions, 4);
        assert!(close(norm_product(&net, Norm::L2).unwrap(), 2f64.sqrt()));
        assert!(close(exact_lipschitz(&net, &ExactConfig::new(Norm::LInf)).unwrap().value, 2.0));
        assert!(close(abs_product(&net, Norm::LInf).unwrap(), 2.0));
    }

    #[test]
    fn non_negative_weights_give_the_product_exactly() {
        // Weights U[0, 1) / 2 and non-negative biases: every unit is active on the positive
        // orthant, where J = W_m ... W_1; every Jacobian is entrywise below it.
        let seed = Seed::new(2019);
        let mut rng = seed.stream("nonneg");
        let sizes = [2usize, 10, 30, 20, 2];
        let weights: Vec<Mat<f64>> = (0..4)
            .map(|l| megavolt_core::rng::uniform_mat(&mut rng, sizes[l + 1], sizes[l], 0.0, 0.5))
            .collect();
        let biases = (0..4)
            .map(|l| megavolt_core::rng::uniform_col(&mut rng, sizes[l + 1], 0.0, 0.1))
            .collect();
        let net = ReluNet::new(weights, Some(biases)).unwrap();
        let exact = spectral_norm(net.weight_product().as_ref()).unwrap();
        // Combettes-Pesquet sums products of block norms, each >= the norm of the product.
        assert!(combettes_pesquet(&net).unwrap() >= exact * (1.0 - RTOL));
        assert!(close(abs_product(&net, Norm::L2).unwrap(), exact));
        assert!(close(jacobian_interval(&net, Norm::L2).unwrap(), exact));
        // Every term of the splitting equals W_m ... W_1: split-abs is exact in every norm.
        for norm in Norm::ALL {
            let p = operator_norm(net.weight_product().as_ref(), norm).unwrap();
            assert!(close(split_abs(&net, norm).unwrap(), p));
        }
        assert!(close(spectral_norm(net.jacobian(&[1.0, 1.0]).as_ref()).unwrap(), exact));
        assert!(norm_product(&net, Norm::L2).unwrap() >= exact);
        // Small network: enumeration agrees.
        let small_sizes = [2usize, 4, 5, 2];
        let mut rng = seed.stream("nonneg-small");
        let weights: Vec<Mat<f64>> = (0..3)
            .map(|l| {
                megavolt_core::rng::uniform_mat(
                    &mut rng,
                    small_sizes[l + 1],
                    small_sizes[l],
                    0.0,
                    0.5,
                )
            })
            .collect();
        let small = ReluNet::new(weights, None).unwrap();
        let e = exact_lipschitz(&small, &ExactConfig::new(Norm::L2)).unwrap().value;
        assert!(close(e, spectral_norm(small.weight_product().as_ref()).unwrap()));
    }
}

mod properties {
    use super::*;

    const SHAPES: [&[usize]; 7] = [
        &[1, 8, 8, 1],
        &[1, 6, 6, 6, 2],
        &[2, 5, 1],
        &[2, 6, 6, 1],
        &[2, 4, 5, 3, 2],
        &[3, 5, 4, 1],
        &[2, 8, 2],
    ];

    /// ReLU is positively homogeneous: scaling every weight and each layer's bias by the
    /// matching power of `s` scales the exact constant by `s^depth`, however small or large `s`.
    #[test]
    fn exact_value_is_homogeneous_in_the_weights_scale() {
        let net =
            ReluNet::random(&[2, 5, 4, 1], 1.0, 0.5, &mut Seed::new(3).stream("net")).unwrap();
        for norm in [Norm::L2, Norm::LInf] {
            let base = exact_lipschitz(&net, &ExactConfig::new(norm)).unwrap().value;
            assert!(base > 0.0);
            for s in [1e-20, 1e-5, 1e50, 1e80] {
                let weights: Vec<Mat<f64>> = net
                    .weights()
                    .iter()
                    .map(|w| Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] * s))
                    .collect();
                let biases: Vec<faer::Col<f64>> = net
                    .biases()
                    .iter()
                    .enumerate()
                    .map(|(k, b)| faer::Col::from_fn(b.nrows(), |i| b[i] * s.powi(k as i32 + 1)))
                    .collect();
                let scaled = ReluNet::new(weights, Some(biases)).unwrap();
                let v = exact_lipschitz(&scaled, &ExactConfig::new(norm)).unwrap().value;
                let expected = base * s.powi(3);
                assert!(
                    ((v - expected) / expected).abs() < 1e-12,
                    "s = {s:e}, {norm:?}: {v:e} against {expected:e}"
                );
            }
        }
    }

    #[test]
    fn lower_le_exact_le_certified_upper_bounds() {
        let mut checked = 0;
        for (s, sizes) in SHAPES.iter().enumerate() {
            for k in 0..6u64 {
                let seed = Seed::new(100 + k);
                let net =
                    ReluNet::random(sizes, 2f64.sqrt(), 0.5, &mut seed.indexed("net", s as u64))
                        .unwrap();
                for norm in Norm::ALL {
                    let exact = exact_lipschitz(&net, &ExactConfig::new(norm)).unwrap();
                    let lower = sampled_lower_bound(
                        &net,
                        &LowerConfig::new(norm, Domain::Global, 200, 2.0, 3, 30).unwrap(),
                        seed,
                    )
                    .unwrap();
                    assert!(
                        lower.value <= exact.value * (1.0 + RTOL),
                        "{sizes:?} {k} {norm:?}: lower {} > exact {}",
                        lower.value,
                        exact.value
                    );
                    // The witness of the exact maximum attains it (interior point of the region).
                    let (_, margin) = net.pattern(&exact.witness);
                    assert!(margin > 0.0);
                    assert!(close(
                        operator_norm(net.jacobian(&exact.witness).as_ref(), norm).unwrap(),
                        exact.value
                    ));
                    for b in lipschitz::all_upper_bounds(&net, norm, 10).unwrap() {
                        if b.certified {
                            assert!(
                                b.value >= exact.value * (1.0 - RTOL),
                                "{sizes:?} {k} {norm:?}: {} = {} < exact {}",
                                b.method,
                                b.value,
                                exact.value
                            );
                        }
                    }
                    let product = norm_product(&net, norm).unwrap();
                    if norm == Norm::L2 {
                        let cp = combettes_pesquet(&net).unwrap();
                        let plain = spectral_norm(net.weight_product().as_ref()).unwrap();
                        assert!(plain <= cp * (1.0 + RTOL) && cp <= product * (1.0 + RTOL));
                        assert!(product <= norm_product_power(&net, 20, 5).unwrap() * (1.0 + RTOL));
                        assert!(
                            seqlip_greedy(&net).unwrap().value
                                <= seqlip_exhaustive(&net, 10).unwrap().value * (1.0 + RTOL)
                        );
                    } else {
                        let a = abs_product(&net, norm).unwrap();
                        let i = jacobian_interval(&net, norm).unwrap();
                        assert!(i <= a * (1.0 + RTOL) && a <= product * (1.0 + RTOL));
                        let cp = combettes_pesquet_norm(&net, norm).unwrap();
                        let split = split_abs(&net, norm).unwrap();
                        let plain = operator_norm(net.weight_product().as_ref(), norm).unwrap();
                        assert!(plain <= cp * (1.0 + RTOL) && cp <= product * (1.0 + RTOL));
                        assert!(split <= cp * (1.0 + RTOL) && split <= a * (1.0 + RTOL));
                    }
                    // Every norm: the splitting bound lies below the |W|-product.
                    let split = split_abs(&net, norm).unwrap();
                    assert!(split <= abs_product(&net, norm).unwrap() * (1.0 + RTOL));
                    if net.in_dim() == 1 {
                        let (line, pieces) = exact_lipschitz_1d(&net, norm, None).unwrap();
                        assert!(close(line, exact.value));
                        assert!(pieces >= exact.n_regions);
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, SHAPES.len() * 6 * 3);
    }

    #[test]
    fn local_constants_over_boxes() {
        for k in 0..5u64 {
            let seed = Seed::new(7 + k);
            let net =
                ReluNet::random(&[2, 6, 6, 1], 2f64.sqrt(), 0.5, &mut seed.stream("net")).unwrap();
            let global = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap();
            let dom = Domain::ball_inf(&[0.3, -0.2], 0.25).unwrap();
            let local =
                exact_lipschitz(&net, &ExactConfig::new(Norm::L2).domain(dom.clone())).unwrap();
            assert!(local.value <= global.value * (1.0 + RTOL));
            assert!(local.n_regions <= global.n_regions);
            assert!(dom.contains(&local.witness));
            let lower = sampled_lower_bound(
                &net,
                &LowerConfig::new(Norm::L2, dom, 300, 1.0, 3, 30).unwrap(),
                seed,
            )
            .unwrap();
            assert!(lower.value <= local.value * (1.0 + RTOL));
            // Growing boxes: local constants increase to the global one.
            let big = exact_lipschitz(
                &net,
                &ExactConfig::new(Norm::L2).domain(Domain::ball_inf(&[0.0, 0.0], 1e3).unwrap()),
            )
            .unwrap();
            assert!(local.value <= big.value * (1.0 + RTOL) && close(big.value, global.value));
        }
        // One input: box enumeration equals line splitting on the interval.
        let net = ReluNet::random(&[1, 7, 7, 2], 2f64.sqrt(), 0.5, &mut Seed::new(3).stream("net"))
            .unwrap();
        for norm in Norm::ALL {
            let a = exact_lipschitz(
                &net,
                &ExactConfig::new(norm).domain(Domain::new_box(vec![-0.4], vec![0.3]).unwrap()),
            )
            .unwrap();
            let (b, _) = exact_lipschitz_1d(&net, norm, Some((-0.4, 0.3))).unwrap();
            assert!(close(a.value, b));
        }
    }

    #[test]
    fn one_hidden_layer_region_count_matches_zaslavsky() {
        // n hyperplanes in general position in R^d cut it into sum_{i <= d} C(n, i) regions.
        let binom = |n: usize, k: usize| (0..k).fold(1usize, |acc, i| acc * (n - i) / (i + 1));
        for (d, n) in [(1usize, 7usize), (2, 9), (3, 6), (4, 5)] {
            let net = ReluNet::random(
                &[d, n, 1],
                1.0,
                1.0,
                &mut Seed::new(31).indexed("z", (d * 10 + n) as u64),
            )
            .unwrap();
            let r = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap();
            assert_eq!(
                r.n_regions,
                (0..=d.min(n)).map(|i| binom(n, i)).sum::<usize>(),
                "d = {d}, n = {n}"
            );
        }
    }

    #[test]
    fn region_counts_are_reproducible() {
        // Integer statistics of the enumeration for fixed seeds.
        let mut lines = Vec::new();
        for (s, sizes) in SHAPES.iter().enumerate() {
            let net = ReluNet::random(
                sizes,
                2f64.sqrt(),
                0.5,
                &mut Seed::new(100).indexed("net", s as u64),
            )
            .unwrap();
            let r = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap();
            lines.push(format!(
                "{sizes:?}: regions {} lps {} L2 {:.6}",
                r.n_regions, r.lp_solves, r.value
            ));
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn seqlip_with_one_hidden_layer_is_the_max_over_all_patterns() {
        for k in 0..4u64 {
            let net =
                ReluNet::random(&[3, 6, 2], 1.0, 0.3, &mut Seed::new(k).stream("seqlip")).unwrap();
            let mut brute: f64 = 0.0;
            for bits in 0u32..64 {
                let pattern = vec![(0..6).map(|i| bits >> i & 1 == 1).collect::<Vec<_>>()];
                brute =
                    brute.max(spectral_norm(net.jacobian_of_pattern(&pattern).as_ref()).unwrap());
            }
            let s = seqlip_exhaustive(&net, 8).unwrap();
            assert!(close(s.value, brute), "{} vs {brute}", s.value);
            assert_eq!(s.evaluations, 63);
        }
    }

    #[test]
    fn points_at_ties_are_rejected() {
        // Every sample in [-1e-10, 1e-10] is within margin_tol = 1e-9 of the kink of
        // relu(x) - relu(-x), where relu'(0) = 1 would give the spurious value 2.
        let net = identity_net();
        let dom = Domain::new_box(vec![-1e-10], vec![1e-10]).unwrap();
        let cfg = LowerConfig::new(Norm::L2, dom, 100, 1.0, 0, 0).unwrap();
        let lb = sampled_lower_bound(&net, &cfg, Seed::new(0)).unwrap();
        assert_eq!((lb.n_evaluated, lb.n_rejected, lb.value), (0, 100, 0.0));
    }

    #[test]
    fn errors_name_the_parameter() {
        let net = identity_net();
        let bad = ExactConfig::new(Norm::L2)
            .domain(Domain::new_box(vec![0.0, 0.0], vec![1.0, 1.0]).unwrap());
        assert!(matches!(
            exact_lipschitz(&net, &bad),
            Err(lipschitz::LipError::InvalidParameter { name: "domain", .. })
        ));
        assert!(ExactConfig::new(Norm::L2).max_regions(0).is_err());
        let tiny = ExactConfig::new(Norm::L2).max_regions(1).unwrap();
        assert!(matches!(exact_lipschitz(&net, &tiny), Err(lipschitz::LipError::TooLarge { .. })));
        let wide = ReluNet::random(&[2, 30, 1], 1.0, 0.0, &mut Seed::new(0).stream("w")).unwrap();
        assert!(matches!(
            seqlip_exhaustive(&wide, 20),
            Err(lipschitz::LipError::TooLarge { size: 30, .. })
        ));
        assert!(LowerConfig::new(Norm::L2, Domain::Global, 0, 1.0, 0, 0).is_err());
    }
}

mod training {
    use super::*;
    use lipschitz::training::{
        Control, SpectralNormaliser, TrainConfig, parseval_retraction, train_regression,
    };
    use megavolt_core::nn::{Activation, Init, Mlp};

    fn orthogonal(n: usize, seed: Seed, label: &str) -> Mat<f64> {
        let g = megavolt_core::rng::gaussian_mat(&mut seed.stream(label), n, n, 1.0);
        g.qr().compute_Q()
    }

    #[test]
    fn parseval_retraction_drives_singular_values_to_one() {
        let seed = Seed::new(17);
        let (u, v) = (orthogonal(3, seed, "u"), orthogonal(3, seed, "v"));
        let s = [2.0, 1.5, 0.5];
        let mut w = Mat::from_fn(3, 3, |i, j| (0..3).map(|k| u[(i, k)] * s[k] * v[(j, k)]).sum());
        for _ in 0..200 {
            parseval_retraction(&mut w, 0.1).unwrap();
        }
        let sv = w.singular_values().unwrap();
        assert!(sv.iter().all(|x| (x - 1.0).abs() < 1e-10), "{sv:?}");
        // The scalar map s <- 1.1 s - 0.1 s^3 predicts each singular value exactly.
        let mut scalar = s;
        for _ in 0..5 {
            scalar.iter_mut().for_each(|x| *x = 1.1 * *x - 0.1 * x.powi(3));
        }
        let mut w5 = Mat::from_fn(3, 3, |i, j| (0..3).map(|k| u[(i, k)] * s[k] * v[(j, k)]).sum());
        for _ in 0..5 {
            parseval_retraction(&mut w5, 0.1).unwrap();
        }
        let sv5 = w5.singular_values().unwrap();
        for (a, b) in sv5.iter().zip(scalar.iter()) {
            assert!((a - b).abs() < 1e-13, "{a} vs {b}");
        }
        assert!(parseval_retraction(&mut w5, 0.0).is_err());
    }

    #[test]
    fn spectral_normalisation_bounds_the_product() {
        let net =
            ReluNet::random(&[3, 20, 20, 2], 3.0, 0.1, &mut Seed::new(4).stream("net")).unwrap();
        let mut weights: Vec<Mat<f64>> = net.weights().to_vec();
        let mut sn = SpectralNormaliser::new(1.0, 60).unwrap();
        let sig = sn.apply(weights.iter_mut());
        assert!(sig.iter().all(|s| *s > 1.0));
        for w in &weights {
            assert!((spectral_norm(w.as_ref()).unwrap() - 1.0).abs() < 1e-6);
        }
        let normalised = ReluNet::new(weights, None).unwrap();
        assert!(norm_product(&normalised, Norm::L2).unwrap() <= 1.0 + 1e-5);
    }

    #[test]
    fn penalty_trades_loss_for_a_smaller_bound() {
        let x = Mat::from_fn(1, 32, |_, j| -1.0 + 2.0 * j as f64 / 31.0);
        let y = Mat::from_fn(1, 32, |_, j| (3.0 * x[(0, j)]).sin());
        let init = Mlp::new(
            &[1, 16, 16, 1],
            Activation::Relu,
            Activation::Identity,
            Init::He,
            &mut Seed::new(5).stream("init"),
        );
        let mut results = Vec::new();
        for lambda in [0.0, 1e-2, 1e-1] {
            let mut net = init.clone();
            let h = train_regression(
                &mut net,
                x.as_ref(),
                y.as_ref(),
                &TrainConfig::new(400, 1e-2, Control::Penalty { lambda, norm: Norm::L2 }).unwrap(),
            )
            .unwrap();
            let k = norm_product(&ReluNet::from_mlp(&net).unwrap(), Norm::L2).unwrap();
            results.push((h.final_loss, k));
        }
        assert!(results[1].1 < results[0].1 && results[2].1 < results[1].1, "{results:?}");
        assert!(results[1].0 >= results[0].0 && results[2].0 > results[1].0, "{results:?}");
        // Same seed, same result.
        let mut a = init.clone();
        let mut b = init.clone();
        let cfg =
            TrainConfig::new(50, 1e-2, Control::SpectralNorm { target: 1.0, iters: 1 }).unwrap();
        train_regression(&mut a, x.as_ref(), y.as_ref(), &cfg).unwrap();
        train_regression(&mut b, x.as_ref(), y.as_ref(), &cfg).unwrap();
        assert_eq!(a.params(), b.params());
        assert!(TrainConfig::new(10, 1e-2, Control::Parseval { beta: 2.0 }).is_err());
    }
}

mod nonsmooth {
    use lipschitz::maxpool::{MaxPool1d, MaxPool2d, TieRule};
    use rand::RngExt;

    use super::*;

    #[test]
    fn max_of_equal_pieces_has_derivative_one_for_every_rule() {
        // y(x) = max(u1, u2) with u = (x, x): d y / d x = sum_i dy/du_i du_i/dx = 1 whatever the
        // maximiser chosen, because grad u1 = grad u2 on the tie set.
        for rule in [TieRule::First, TieRule::Last] {
            let p = MaxPool1d::new(2, 2, rule).unwrap();
            for x in [-1.3, 0.0, 2.5] {
                let y = p.forward(&[x, x]);
                assert_eq!(y.ties, 1);
                let g = p.backward(2, &y, &[1.0]);
                assert!(close(g[0] + g[1], 1.0));
            }
        }
    }

    #[test]
    fn relu_identity_net_differs_from_its_derivative_only_at_zero() {
        // relu(x) - relu(-x) = x: with relu'(0) = 0 the computed derivative is 0 at x = 0 only.
        let net = identity_net();
        assert!(net.jacobian(&[0.0])[(0, 0)].abs() < 1e-300);
        let mut rng = Seed::new(9).stream("x");
        for _ in 0..1000 {
            let x: f64 = rng.random_range(-3.0..3.0);
            assert!(close(net.jacobian(&[x])[(0, 0)], 1.0));
        }
    }

    /// f(x) = v . maxpool(W x): returns the loss 0.5 (f - t)^2 and its gradients.
    fn loss_and_grad(
        p: &MaxPool1d,
        w: &Mat<f64>,
        v: &[f64],
        x: &[f64],
        t: f64,
    ) -> (f64, Mat<f64>, Vec<f64>, Vec<f64>, usize) {
        let z: Vec<f64> =
            (0..w.nrows()).map(|i| (0..w.ncols()).map(|j| w[(i, j)] * x[j]).sum()).collect();
        let y = p.forward(&z);
        let f: f64 = y.values.iter().zip(v).map(|(a, b)| a * b).sum();
        let r = f - t;
        let gv: Vec<f64> = y.values.iter().map(|a| r * a).collect();
        let gy: Vec<f64> = v.iter().map(|b| r * b).collect();
        let gz = p.backward(z.len(), &y, &gy);
        let gw = Mat::from_fn(w.nrows(), w.ncols(), |i, j| gz[i] * x[j]);
        let gx: Vec<f64> =
            (0..w.ncols()).map(|j| (0..w.nrows()).map(|i| gz[i] * w[(i, j)]).sum()).collect();
        (0.5 * r * r, gw, gv, gx, y.ties)
    }

    #[test]
    fn tie_rule_does_not_change_training_on_sampled_data() {
        let seed = Seed::new(21);
        let mut rng = seed.stream("data");
        let data: Vec<(Vec<f64>, f64)> = (0..64)
            .map(|_| {
                (
                    megavolt_core::rng::gaussian_col(&mut rng, 3, 1.0).iter().copied().collect(),
                    rng.random_range(-1.0..1.0),
                )
            })
            .collect();
        let w0 = megavolt_core::rng::gaussian_mat(&mut seed.stream("w"), 6, 3, 0.5);
        let v0: Vec<f64> = megavolt_core::rng::gaussian_col(&mut seed.stream("v"), 3, 0.5)
            .iter()
            .copied()
            .collect();
        let mut finals = Vec::new();
        for rule in [TieRule::First, TieRule::Last] {
            let p = MaxPool1d::new(2, 2, rule).unwrap();
            let (mut w, mut v) = (w0.clone(), v0.clone());
            let mut ties = 0;
            for _ in 0..20 {
                for (x, t) in &data {
                    let (_, gw, gv, _, nt) = loss_and_grad(&p, &w, &v, x, *t);
                    ties += nt;
                    for j in 0..3 {
                        for i in 0..6 {
                            w[(i, j)] -= 0.05 * gw[(i, j)];
                        }
                        v[j] -= 0.05 * gv[j];
                    }
                }
            }
            assert_eq!(ties, 0, "sampled inputs never hit the tie set");
            finals.push((w, v));
        }
        assert_eq!(finals[0], finals[1], "bit-identical training with either tie rule");
    }

    #[test]
    fn constructed_ties_on_a_positive_measure_set_give_equal_gradients() {
        // Two identical rows of W: z_0 = z_1 for every x (a tie set of full measure). Either
        // rule gives the same input gradient (grad z_0 = grad z_1 there).
        let mut w = megavolt_core::rng::gaussian_mat(&mut Seed::new(3).stream("w"), 4, 2, 1.0);
        for j in 0..2 {
            w[(1, j)] = w[(0, j)];
        }
        let v = [0.7, -1.1];
        let x = [0.4, -0.9];
        let first = loss_and_grad(&MaxPool1d::new(2, 2, TieRule::First).unwrap(), &w, &v, &x, 0.3);
        let last = loss_and_grad(&MaxPool1d::new(2, 2, TieRule::Last).unwrap(), &w, &v, &x, 0.3);
        assert_eq!(first.4, 1);
        assert_eq!(first.3, last.3);
        // The weight gradients differ (which copy is credited), an effect on the parameters'
        // generalised gradient only, as the pooled value is the same.
        assert!(first.1 != last.1);
    }

    #[test]
    fn pooling_lipschitz_constants() {
        let p = MaxPool1d::new(3, 1, TieRule::First).unwrap();
        assert!(close(p.lipschitz_bound(Norm::LInf, 10), 1.0));
        assert!(close(p.lipschitz_bound(Norm::L1, 10), 3.0));
        assert!(close(p.lipschitz_bound(Norm::L2, 10), 3f64.sqrt()));
        // Random pairs never exceed the bounds.
        let mut rng = Seed::new(1).stream("pairs");
        for _ in 0..200 {
            let a: Vec<f64> = (0..10).map(|_| rng.random_range(-1.0..1.0)).collect();
            let b: Vec<f64> = (0..10).map(|_| rng.random_range(-1.0..1.0)).collect();
            let (ya, yb) = (p.forward(&a).values, p.forward(&b).values);
            let dy: Vec<f64> = ya.iter().zip(&yb).map(|(x, y)| x - y).collect();
            let dx: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
            for norm in Norm::ALL {
                assert!(
                    norm.vector(&dy)
                        <= p.lipschitz_bound(norm, 10) * norm.vector(&dx) * (1.0 + RTOL)
                );
            }
        }
        let q = MaxPool2d::new((2, 2), (2, 2), TieRule::First).unwrap();
        assert!(close(q.lipschitz_bound(Norm::L2, 4, 4), 1.0));
        let x = Mat::from_fn(4, 4, |i, j| ((i * 4 + j) as f64 * 0.37).sin());
        let y = q.forward(x.as_ref());
        assert_eq!(y.values.len(), 4);
        let g = q.backward(4, 4, &y, &[1.0; 4]);
        assert!(close(g.as_ref().sum(), 4.0));
    }
}

mod experiments {
    use megavolt_core::Scale;
    use megavolt_core::experiment::silent_context;

    fn run_all(scale: Scale) {
        for e in lipschitz::experiments() {
            let t = std::time::Instant::now();
            let out = e.run(&silent_context(42, scale)).unwrap();
            let failed: Vec<_> = out
                .metrics
                .iter()
                .filter(|m| m.pass == Some(false))
                .map(|m| m.name.clone())
                .collect();
            assert!(failed.is_empty(), "{}: failed metrics {failed:?}", e.name());
            log::info!("{} took {:?}", e.name(), t.elapsed());
            eprintln!("{} took {:.2?}", e.name(), t.elapsed());
            for m in &out.metrics {
                eprintln!("  {} = {:.6}", m.name, m.value);
            }
        }
    }

    #[test]
    #[ignore = "quick scale in release: cargo test --release -- --ignored quick"]
    fn quick_scale_experiments_pass() {
        run_all(Scale::Quick);
    }

    #[test]
    #[ignore = "paper scale: cargo test --release -- --ignored"]
    fn paper_scale_experiments_pass() {
        run_all(Scale::Paper);
    }

    #[test]
    fn experiments_are_listed() {
        let names: Vec<_> = lipschitz::experiments().iter().map(|e| e.name()).collect();
        assert_eq!(
            names,
            [
                "lipschitz-bounds-vs-exact",
                "lipschitz-training-tradeoff",
                "lipschitz-lipsdp-scaling"
            ]
        );
    }
}

mod convolutional {
    use super::*;
    use lipschitz::conv::{conv1d_matrix, conv1d_multichannel_matrix};
    use lipschitz::maxpool::{MaxPool1d, TieRule};
    use rand::RngExt;

    #[test]
    fn multichannel_conv1d_is_the_direct_convolution_and_bounds_apply() {
        let mut rng = Seed::new(4).stream("conv-multi");
        let (c_out, c_in, len, n_in, stride) = (3usize, 2usize, 3usize, 10usize, 2usize);
        let kernels: Vec<Vec<Vec<f64>>> = (0..c_out)
            .map(|_| {
                (0..c_in).map(|_| (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()).collect()
            })
            .collect();
        let c = conv1d_multichannel_matrix(&kernels, n_in, stride).unwrap();
        let n_out = (n_in - len) / stride + 1;
        assert_eq!((c.nrows(), c.ncols()), (c_out * n_out, c_in * n_in));
        let x: Vec<f64> = (0..c_in * n_in).map(|_| rng.random_range(-1.0..1.0)).collect();
        for o in 0..c_out {
            for j in 0..n_out {
                let direct: f64 = (0..c_in)
                    .map(|ch| {
                        (0..len)
                            .map(|r| kernels[o][ch][r] * x[ch * n_in + j * stride + r])
                            .sum::<f64>()
                    })
                    .sum();
                let dense: f64 = (0..c_in * n_in).map(|i| c[(o * n_out + j, i)] * x[i]).sum();
                assert!((direct - dense).abs() <= 8.0 * f64::EPSILON * (c_in * len) as f64);
            }
        }
        // conv -> relu -> dense (input 20, too wide to enumerate): sampled gradients stay below
        // the bounds, which keep their ordering.
        let dense = megavolt_core::rng::gaussian_mat(&mut rng, 1, c_out * n_out, 0.5);
        let net = ReluNet::new(vec![c, dense], None).unwrap();
        for norm in Norm::ALL {
            let sampled = sampled_lower_bound(
                &net,
                &LowerConfig::new(norm, Domain::Global, 300, 1.0, 3, 30).unwrap(),
                Seed::new(5),
            )
            .unwrap()
            .value;
            let split = split_abs(&net, norm).unwrap();
            let cp = combettes_pesquet_norm(&net, norm).unwrap();
            assert!(sampled <= split * (1.0 + RTOL) && sampled <= cp * (1.0 + RTOL));
            assert!(split <= abs_product(&net, norm).unwrap() * (1.0 + RTOL));
        }
        assert!(conv1d_multichannel_matrix(&[], 4, 1).is_err());
        assert!(conv1d_multichannel_matrix(&[vec![vec![1.0], vec![1.0, 2.0]]], 4, 1).is_err());
    }

    #[test]
    fn conv1d_matrix_is_the_direct_convolution() {
        let mut rng = Seed::new(3).stream("conv");
        for (len, n_in, stride) in [(3usize, 9usize, 1usize), (2, 8, 2), (4, 11, 3), (1, 5, 1)] {
            let k: Vec<f64> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let c = conv1d_matrix(&k, n_in, stride).unwrap();
            let n_out = (n_in - len) / stride + 1;
            assert_eq!((c.nrows(), c.ncols()), (n_out, n_in));
            let x: Vec<f64> = (0..n_in).map(|_| rng.random_range(-1.0..1.0)).collect();
            for j in 0..n_out {
                let direct: f64 = (0..len).map(|r| k[r] * x[j * stride + r]).sum();
                let dense: f64 = (0..n_in).map(|i| c[(j, i)] * x[i]).sum();
                assert!((direct - dense).abs() <= 4.0 * f64::EPSILON * len as f64);
            }
            // Toeplitz structure: row j is row 0 shifted by j * stride.
            for j in 0..n_out {
                for i in 0..n_in {
                    let expected = if i >= j * stride && i < j * stride + len {
                        k[i - j * stride]
                    } else {
                        0.0
                    };
                    assert_eq!(c[(j, i)].to_bits(), expected.to_bits());
                }
            }
        }
    }

    #[test]
    fn explicit_cnn_matches_manual_forward_and_implicit_bound_holds() {
        // x (length 9) -> conv (kernel 3, 2 channels' worth as two kernels stacked) -> relu ->
        // maxpool(2, 2) per channel -> dense 1 output.
        let seed = Seed::new(12);
        let mut rng = seed.stream("cnn");
        let k1: Vec<f64> = (0..3).map(|_| rng.random_range(-1.0..1.0)).collect();
        let c = conv1d_matrix(&k1, 9, 1).unwrap(); // 7 x 9
        let conv = ReluNet::new(
            vec![c.clone(), Mat::identity(7, 7)],
            Some(vec![faer::Col::from_fn(7, |i| 0.1 * i as f64 - 0.3), faer::Col::zeros(7)]),
        )
        .unwrap();
        let pool = MaxPool1d::new(2, 2, TieRule::First).unwrap();
        let pooled = pool.as_relu_net(7).unwrap(); // 7 -> 3
        let dense = ReluNet::new(vec![megavolt_core::rng::gaussian_mat(&mut rng, 1, 3, 1.0)], None)
            .unwrap();
        let cnn = conv.compose(&pooled).unwrap().compose(&dense).unwrap();
        assert_eq!(cnn.sizes(), vec![9, 7, 9, 1]);
        for _ in 0..50 {
            let x: Vec<f64> = (0..9).map(|_| rng.random_range(-2.0..2.0)).collect();
            let z: Vec<f64> = conv.forward(&x).iter().map(|v| v.max(0.0)).collect();
            let p = pool.forward(&z).values;
            let manual: f64 = (0..3).map(|j| dense.weights()[0][(0, j)] * p[j]).sum();
            assert!((cnn.forward(&x)[0] - manual).abs() < 1e-12);
        }
        // Implicit: |W_dense| * L(pool) * |conv| bounds the exact constant; so do the explicit
        // bounds of the composed network.
        for norm in Norm::ALL {
            let implicit = operator_norm(dense.weights()[0].as_ref(), norm).unwrap()
                * pool.lipschitz_bound(norm, 7)
                * operator_norm(c.as_ref(), norm).unwrap();
            let sampled = sampled_lower_bound(
                &cnn,
                &LowerConfig::new(norm, Domain::Global, 500, 1.0, 5, 50).unwrap(),
                seed,
            )
            .unwrap()
            .value;
            assert!(sampled <= implicit * (1.0 + RTOL));
            assert!(sampled <= abs_product(&cnn, norm).unwrap() * (1.0 + RTOL));
            assert!(sampled <= jacobian_interval(&cnn, norm).unwrap() * (1.0 + RTOL));
            let split = split_abs(&cnn, norm).unwrap();
            assert!(sampled <= split * (1.0 + RTOL));
            assert!(split <= abs_product(&cnn, norm).unwrap() * (1.0 + RTOL));
            assert!(sampled <= combettes_pesquet_norm(&cnn, norm).unwrap() * (1.0 + RTOL));
        }
    }
}

mod lipsdp_first_order {
    use super::*;
    use lipschitz::bounds::{FirstOrderConfig, lipsdp_first_order};

    #[test]
    #[ignore = "timing: cargo test --release -- --ignored first_order_scaling --nocapture"]
    fn first_order_scaling_with_width() {
        for width in [16usize, 32, 64, 128] {
            let net = ReluNet::random(
                &[2, width, width, 2],
                2f64.sqrt(),
                0.5,
                &mut Seed::new(0).stream("net"),
            )
            .unwrap();
            let t = std::time::Instant::now();
            let fo = lipsdp_first_order(&net, &FirstOrderConfig::default()).unwrap();
            let cp = combettes_pesquet(&net).unwrap();
            eprintln!(
                "width {width}: first-order LipSDP {:.6} (start {:.6}, {} steps) in {:.3?}; CP {cp:.6}; product {:.6}",
                fo.value,
                fo.initial,
                fo.iterations,
                t.elapsed(),
                norm_product(&net, Norm::L2).unwrap()
            );
        }
    }

    #[test]
    fn closed_forms_and_ordering() {
        // Pattern-superset bound: 2 for relu(x) - relu(-x), 1 for |x|.
        let id = lipsdp_first_order(&identity_net(), &FirstOrderConfig::default()).unwrap();
        assert!(id.value >= 2.0 * (1.0 - RTOL) && id.value < 2.0 * (1.0 + 1e-4), "{}", id.value);
        let abs = lipsdp_first_order(&abs_net(), &FirstOrderConfig::default()).unwrap();
        assert!(abs.value >= 1.0 - RTOL && abs.value < 1.0 + 1e-4, "{}", abs.value);
        for k in 0..5u64 {
            let net =
                ReluNet::random(&[2, 6, 6, 1], 2f64.sqrt(), 0.5, &mut Seed::new(k).stream("fo"))
                    .unwrap();
            let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value;
            let fo = lipsdp_first_order(&net, &FirstOrderConfig::default()).unwrap();
            assert!(fo.value >= exact * (1.0 - RTOL) && fo.value <= fo.initial);
        }
    }
}
