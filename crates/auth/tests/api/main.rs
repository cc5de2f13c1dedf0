mod errors;
mod helpers;
mod sessions;
mod signin;
mod signup;
