//! The face kit: what every face plugs its own names into, written once. A face declares itself
//! with [`Face`] (its error type and how its callers authenticate) and its error with
//! [`FaceError`] (Kumbu's codes and fields in the face's terms); it then gets:
//!
//! - [`Caller`], the authenticated caller, refused in the face's envelope;
//! - [`Body`], a JSON body and its `Idempotency-Key`, read as the native API reads them (the
//!   same limits, the same field-naming errors), refused in the face's envelope;
//! - `From<NativeError>` and `From<EngineError>` for its error, by [`face_error_from!`].
//!
//! Handlers destructure them by name: `Caller { auth, .. }: Caller`, `Body { idem, body, .. }:
//! Body<CreatePaymentBody>`, with `type Caller = kit::Caller<Face>` in the face's `mod.rs`.

use crate::error::NativeError;
use crate::extract::{Auth, Command};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use kumbu_core::ErrorCode;
use kumbu_engine::{AuthContext, IdempotencyRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::marker::PhantomData;

/// A face's error: Kumbu's code, message and field in the face's own names and envelope.
pub trait FaceError: IntoResponse + From<NativeError> + Send + Sized {
    /// The face's error for one of Kumbu's codes, with its message, naming the field at fault by
    /// its native name (the face renames it, or leaves it out where its envelope has no field).
    fn face(code: ErrorCode, message: &str, field: Option<&str>) -> Self;
}

/// Implements `From<NativeError>` and `From<EngineError>` for a face's error through its
/// [`FaceError::face`] (a macro because both traits and both error types are foreign to a face).
macro_rules! face_error_from {
    ($t:ty) => {
        impl From<$crate::error::NativeError> for $t {
            fn from(e: $crate::error::NativeError) -> Self {
                let (code, message, field) = e.parts();
                <$t as $crate::compat::kit::FaceError>::face(code, message, field)
            }
        }

        impl From<kumbu_engine::EngineError> for $t {
            fn from(e: kumbu_engine::EngineError) -> Self {
                $crate::error::NativeError::from(e).into()
            }
        }
    };
}
pub(crate) use face_error_from;

/// A face: its error, and how its callers prove who they are.
pub trait Face: Send + Sync + 'static {
    /// Its error envelope.
    type Error: IntoResponse + Send;

    /// The caller of a request ([`bearer`] for the native API's `Authorization: Bearer sk_…`).
    fn caller(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<AuthContext, Self::Error>> + Send;
}

/// The caller as the native API authenticates it: `Authorization: Bearer sk_test_…|sk_live_…`.
pub async fn bearer<E: From<NativeError>>(
    parts: &mut Parts,
    state: &AppState,
) -> Result<AuthContext, E> {
    let Auth(auth) = Auth::from_request_parts(parts, state).await?;
    Ok(auth)
}

/// The authenticated caller of a face's request.
#[derive(Debug)]
pub struct Caller<F> {
    /// Who calls, in which mode.
    pub auth: AuthContext,
    face: PhantomData<F>,
}

impl<F: Face> FromRequestParts<AppState> for Caller<F> {
    type Rejection = F::Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, F::Error> {
        Ok(Caller {
            auth: F::caller(parts, state).await?,
            face: PhantomData,
        })
    }
}

/// A JSON body and its `Idempotency-Key`, read as the native API reads them.
#[derive(Debug)]
pub struct Body<T, F> {
    /// The request's idempotency key, if it sent one.
    pub idem: Option<IdempotencyRequest>,
    /// The body.
    pub body: T,
    face: PhantomData<F>,
}

impl<S, T, F> FromRequest<S> for Body<T, F>
where
    S: Send + Sync,
    T: DeserializeOwned,
    F: Face,
    F::Error: From<NativeError>,
{
    type Rejection = F::Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, F::Error> {
        let Command(idem, body) = Command::<T>::from_request(req, state).await?;
        Ok(Body {
            idem,
            body,
            face: PhantomData,
        })
    }
}
