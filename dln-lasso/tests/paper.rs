//! The numbers of the papers at small size: the diabetes lasso path of Efron et al. (2004),
//! coordinate descent against it, the diagonal-network flows against closed forms, and the
//! saddle-to-saddle limit of Pesme & Flammarion (2023).

mod lars_diabetes {
    use dln_lasso::data::{DIABETES_FEATURES, Standardization, diabetes};
    use dln_lasso::{Lars, LarsConfig, LarsMethod, LossScaling, PathEvent, Problem, lasso_path};

    /// Knots of the lasso path, scikit-learn 1.9.1 `lars_path(method="lasso")` on the same
    /// standardised data (centred, unit-norm columns; centred y).
    const KNOTS: [f64; 13] = [
        2.1480435755294986,
        2.0120221388246353,
        1.0246509061690712,
        0.7150981424178936,
        0.2944107174127322,
        0.20086945554432817,
        0.15602893708040982,
        0.04520625646978244,
        0.01239261621343099,
        0.01151184681833448,
        0.004937255302298364,
        0.002964799411680275,
        0.0,
    ];

    /// Two independent path algorithms in double precision: relative `1e-10` on the knots.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-10 * b.abs() + 1e-15
    }

    fn problem() -> Problem {
        diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap()
    }

    fn name(j: usize) -> &'static str {
        DIABETES_FEATURES[j]
    }

    #[test]
    fn lasso_knots_and_entry_order() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        assert_eq!(path.n_knots(), KNOTS.len());
        for (k, (a, b)) in path.lambdas().iter().zip(KNOTS).enumerate() {
            // The reference has 12 significant digits.
            assert!(close(*a, b), "knot {k}: {a} vs {b}");
        }
        let order: Vec<&str> = path.entry_order().into_iter().map(name).collect();
        assert_eq!(order, ["bmi", "s5", "bp", "s3", "sex", "s6", "s1", "s4", "s2", "age"]);
    }

    #[test]
    fn s3_leaves_and_returns_with_opposite_sign() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let s3 = 6;
        let ev = path.events();
        let leave =
            ev.iter().position(|e| matches!(e, PathEvent::Leave { var } if *var == s3)).unwrap();
        assert!(close(path.lambdas()[leave], KNOTS[10]));
        assert_eq!(path.coefs()[leave][s3].to_bits(), 0.0_f64.to_bits());
        // Before leaving s3 is negative (it entered with sign -1); at the end it is positive.
        assert!(path.coefs()[leave - 1][s3] < 0.0);
        let back = ev
            .iter()
            .rposition(|e| matches!(e, PathEvent::Enter { var, .. } if *var == s3))
            .unwrap();
        assert!(back > leave);
        assert!(matches!(ev[back], PathEvent::Enter { sign, .. } if sign > 0.0));
        assert!(close(path.lambdas()[back], KNOTS[11]));
        // s3 at the knots (scikit-learn): -223.924094 at 0.045206, then shrinking.
        assert!((path.coefs()[7][s3] + 223.92409377409).abs() < 1e-8);
    }

    #[test]
    fn end_point_is_least_squares() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let end = path.coefs().last().unwrap();
        let l1: f64 = end.iter().map(|v| v.abs()).sum();
        assert!((l1 - 3459.977632436).abs() < 1e-8, "l1 {l1}");
        // Least squares: the gradient vanishes (relative to |r| ~ 2).
        assert!(p.gradient(end).iter().all(|g| g.abs() < 1e-11));
        assert!((end[6] - 101.043267938).abs() < 1e-8);
    }

    #[test]
    fn lasso_at_lambda_one() {
        let p = problem();
        let x = lasso_path(&p).unwrap().at(1.0);
        let want =
            [0.0, 0.0, 367.701625821431, 6.309702644175, 0.0, 0.0, 0.0, 0.0, 307.602147462196, 0.0];
        for (j, (a, b)) in x.iter().zip(want).enumerate() {
            assert!((a - b).abs() < 1e-8, "{}: {a} vs {b}", name(j));
        }
        assert!(p.kkt_violation(&x, 1.0) < 1e-12);
    }

    #[test]
    fn kkt_at_every_knot_and_between() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        assert!(path.max_kkt_violation(&p) < 1e-9);
        let ls = path.lambdas();
        for w in ls.windows(2) {
            for t in [0.25, 0.5, 0.75] {
                let l = w[0] + t * (w[1] - w[0]);
                assert!(p.kkt_violation(&path.at(l), l) < 1e-9, "lambda {l}");
            }
        }
    }

    #[test]
    fn lar_knots_and_l1_norms() {
        let p = problem();
        let cfg = LarsConfig { method: LarsMethod::Lar, ..LarsConfig::default() };
        let path = Lars::new(cfg).unwrap().path(&p).unwrap();
        let l1_ref = [
            0.0,
            60.12147502355,
            663.677277169727,
            888.910372402503,
            1250.696985932733,
            1440.784510002241,
            1537.06339940146,
            1914.564073512999,
            2115.72870171008,
            2195.754883574669,
            3459.977632436608,
        ];
        assert_eq!(path.n_knots(), 11);
        for (k, (a, b)) in path.l1_norms().iter().zip(l1_ref).enumerate() {
            assert!((a - b).abs() < 1e-8, "knot {k}: {a} vs {b}");
        }
        for (a, b) in path.lambdas().iter().zip(&KNOTS[..10]) {
            assert!(close(*a, *b));
        }
    }

    #[test]
    fn sum_scaling_multiplies_knots_by_n() {
        let d = diabetes(Standardization::UnitNorm);
        let p = d.problem(LossScaling::Sum).unwrap();
        let path = lasso_path(&p).unwrap();
        for (a, b) in path.lambdas().iter().zip(KNOTS) {
            assert!(close(*a, 442.0 * b));
        }
    }
}
