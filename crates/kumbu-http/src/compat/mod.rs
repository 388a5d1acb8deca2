//! Compatibility faces: other services' wire formats over the same engine. A face only
//! translates; every rule lives in the engine.

pub mod adullam;
pub mod common;
pub mod kit;
pub mod kulpay;
pub mod plexospay;
pub mod proxypay;
pub mod simiz;
