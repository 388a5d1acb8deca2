//! Customers: who a merchant's payments are for.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::{new_id, Customer, ErrorCode, Field, IdPrefix, Msisdn, Operator};
use kumbu_store::StoreTx;
use std::collections::BTreeMap;

/// A request to create a customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateCustomer {
    /// Mobile-money number.
    pub phone: Option<Msisdn>,
    /// Operator.
    pub operator: Option<Operator>,
    /// ISO 3166 alpha-2 country (two capital letters).
    pub country: Option<String>,
    /// Name (at most 200 characters).
    pub name: Option<String>,
    /// Email (at most 254 characters).
    pub email: Option<String>,
    /// Merchant data (at most 50 keys).
    pub metadata: BTreeMap<String, String>,
}

impl Engine {
    /// Creates a customer.
    pub async fn create_customer(
        &self,
        auth: &AuthContext,
        cmd: CreateCustomer,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Customer) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        if let Some(c) = &cmd.country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::Country,
                    "country must be an ISO 3166 alpha-2 code such as CV or AO",
                ));
            }
        }
        for (field, value, name, max) in [
            (Field::CustomerName, &cmd.name, "name", 200),
            (Field::CustomerEmail, &cmd.email, "email", 254),
        ] {
            if let Some(v) = value {
                crate::validate::plain_text(field, v, name)?;
                if v.chars().count() > max {
                    return Err(EngineError::field(
                        ErrorCode::ParameterInvalid,
                        field,
                        format!("{name} must be at most {max} characters"),
                    ));
                }
            }
        }
        crate::validate::check_metadata(&cmd.metadata)?;
        let now = self.now();
        let customer = Customer {
            id: new_id(IdPrefix::Customer),
            merchant_id: auth.merchant_id.clone(),
            mode: auth.mode,
            phone: cmd.phone,
            operator: cmd.operator,
            country: cmd.country,
            name: cmd.name,
            email: cmd.email,
            metadata: cmd.metadata,
            created_at: now,
            updated_at: now,
        };
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, _: &mut Changes| {
                tx.insert_customer(&customer).await?;
                Ok(Verdict::Done(render(&customer)))
            },
        )
        .await
    }

    /// One of the caller's customers.
    pub async fn customer(&self, auth: &AuthContext, id: &str) -> Result<Customer, EngineError> {
        if !has_shape(id, IdPrefix::Customer) {
            return Err(EngineError::not_found("customer", id));
        }
        self.store()
            .customer(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer", id))
    }

    /// A newest-first page of the caller's customers.
    pub async fn list_customers(
        &self,
        auth: &AuthContext,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Customer>, bool), EngineError> {
        let not_ours = |a: &str| EngineError::unknown_cursor("customers", a);
        EngineError::check_cursor(starting_after, IdPrefix::Customer, "customers")?;
        self.store()
            .list_customers(
                &auth.merchant_id,
                auth.mode,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }
}
