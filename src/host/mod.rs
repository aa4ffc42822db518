//! Facts about one host: who it is (os-release) and what is installed (rpmdb, dpkg).

pub mod dpkg;
pub mod os;
pub mod rootfs;
pub mod rpmdb;
