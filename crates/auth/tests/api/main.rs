mod errors;
mod hashing;
mod helpers;
mod sessions;
mod signin;
mod signup;
