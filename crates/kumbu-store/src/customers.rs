//! Customer rows.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::page;
use crate::tx::StoreTx;
use kumbu_core::{Customer, Mode, Msisdn, Operator, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const CUSTOMER_COLUMNS: &str =
    "id, merchant_id, mode, phone, operator, country, name, email, metadata, created_at, updated_at";

fn customer_from_row(r: &AnyRow) -> Result<Customer, StoreError> {
    let mode: String = r.try_get("mode")?;
    let metadata: String = r.try_get("metadata")?;
    let phone: Option<String> = r.try_get("phone")?;
    let operator: Option<String> = r.try_get("operator")?;
    Ok(Customer {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        phone: match phone {
            Some(p) => Some(Msisdn::parse(&p).map_err(|_| corrupt("phone", &p))?),
            None => None,
        },
        operator: match operator {
            Some(o) => Some(Operator::parse(&o).ok_or_else(|| corrupt("operator", &o))?),
            None => None,
        },
        country: r.try_get("country")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
    })
}

impl StoreTx {
    /// Inserts a customer.
    pub async fn insert_customer(&mut self, c: &Customer) -> Result<(), StoreError> {
        let metadata = serde_json::to_string(&c.metadata)
            .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))?;
        sqlx::query::<Any>(
            "INSERT INTO customers (id, merchant_id, mode, phone, operator, country, name, email, \
             metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(c.id.clone())
        .bind(c.merchant_id.clone())
        .bind(c.mode.as_str())
        .bind(c.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(c.operator.map(|o| o.code()))
        .bind(c.country.clone())
        .bind(c.name.clone())
        .bind(c.email.clone())
        .bind(metadata)
        .bind(c.created_at.as_micros())
        .bind(c.updated_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }
}

impl Store {
    /// One customer of a merchant.
    pub async fn customer(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1 AND merchant_id = $2 AND mode = $3"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(customer_from_row).transpose()
    }

    /// A newest-first page of a merchant's customers after `starting_after`; `None` if that id
    /// is not one of theirs.
    pub async fn list_customers(
        &self,
        merchant_id: &str,
        mode: Mode,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<Customer>, bool)>, StoreError> {
        let mut sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE merchant_id = $1 AND mode = $2"
        );
        let after = match starting_after {
            Some(a) => match self.cursor_seq("customers", merchant_id, mode, a).await? {
                Some(s) => Some(s),
                None => return Ok(None),
            },
            None => None,
        };
        if after.is_some() {
            sql.push_str(" AND seq < $3");
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str());
        if let Some(s) = after {
            q = q.bind(s);
        }
        let rows = q.fetch_all(&self.read).await?;
        Ok(Some(page(&rows, limit, customer_from_row)?))
    }
}
