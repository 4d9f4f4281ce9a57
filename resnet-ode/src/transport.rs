//! Neural ODEs with piecewise-constant parameters as transport maps (in progress).
