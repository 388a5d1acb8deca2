//! Per-merchant pricing: a fee schedule per operator and direction (collect, payout) that
//! replaces the catalogue's for one merchant, and for collections what a refund does with the
//! fee. A price is read in the transaction that charges it and copied onto what it charges (a
//! payment's `fee` and `refund_fee`, a payout's `fee`), so changing it never changes the past.

use crate::{Engine, EngineError};
use kumbu_core::{Direction, ErrorCode, Field, Operator, Price, RefundFee};

impl Engine {
    /// Sets a merchant's price on `operator` one way (replacing any it had).
    pub async fn set_price(
        &self,
        merchant_id: &str,
        (operator, direction): (Operator, Direction),
        price: Price,
    ) -> Result<(), EngineError> {
        let refuse = |message: String| {
            EngineError::field(ErrorCode::ParameterInvalid, Field::Operator, message)
        };
        if !operator.held_by_kumbu() {
            return Err(refuse(format!(
                "{} carries no fee: its payments are reported from outside Kumbu, and their money is never Kumbu's to charge",
                operator.code()
            )));
        }
        if direction == Direction::Payout && operator == Operator::Multicaixa {
            return Err(refuse(
                "multicaixa collects only: nothing is paid out through it".to_owned(),
            ));
        }
        if direction == Direction::Payout && price.refund_fee == RefundFee::Returned {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Amount,
                "a refund policy applies to collections only: a failed payout always gives its fee back",
            ));
        }
        if let Some(problem) = price.schedule.problem() {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Amount,
                problem,
            ));
        }
        if self.store().merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        self.store()
            .set_price(merchant_id, (operator, direction), &price, self.now())
            .await?;
        Ok(())
    }

    /// A merchant's prices, by operator and direction (the catalogue's apply to the others).
    pub async fn prices(
        &self,
        merchant_id: &str,
    ) -> Result<Vec<(Operator, Direction, Price)>, EngineError> {
        Ok(self.store().prices(merchant_id).await?)
    }

    /// Removes a merchant's price: the catalogue's applies again. Whether there was one.
    pub async fn remove_price(
        &self,
        merchant_id: &str,
        key: (Operator, Direction),
    ) -> Result<bool, EngineError> {
        Ok(self.store().remove_price(merchant_id, key).await?)
    }
}
