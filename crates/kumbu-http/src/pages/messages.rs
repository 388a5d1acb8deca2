//! The pages' one message catalogue: every string a customer reads, in French, Portuguese and
//! English. A message is a variant; its three texts sit side by side, so a missing translation
//! is a compile error, and a test checks that none is empty and that all three use the same
//! placeholders (`{name}`).

use kumbu_core::{FailureCode, Locale};

/// A message shown on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Title,
    PayTo,
    PaidTo,
    PaymentTo,
    Sandbox,
    ChooseOperator,
    Phone,
    PhoneHint,
    Pay,
    CancelPayment,
    Language,
    Total,
    Approve,
    ApproveHelp,
    TimeLeft,
    CheckNow,
    CancelOnPhone,
    SandboxApprove,
    SandboxRefuse,
    Paid,
    Receipt,
    Merchant,
    Amount,
    Reference,
    OperatorReference,
    PaidWith,
    Date,
    Continue,
    RedirectSoon,
    Failed,
    TryAgain,
    Expired,
    ExpiredHelp,
    Cancelled,
    CancelledHelp,
    BackToMerchant,
    NotFound,
    NotFoundHelp,
    FormExpired,
    ErrPhone,
    ErrPhoneCountry,
    ErrOperator,
    ErrOperatorGuess,
    ErrTooMany,
    ErrTooManyPhone,
    ErrTooManyIp,
    ErrClosing,
    ErrUnavailable,
    ErrGeneric,
    ErrNoPrompt,
    ReasonPayerNotFound,
    ReasonInsufficientBalance,
    ReasonDeclined,
    ReasonExpired,
    ReasonOtp,
    ReasonLimit,
    ReasonInProgress,
    ReasonNotAllowed,
    ReasonUnavailable,
    ReasonProviderError,
    ReasonReferenceExpired,
    ReasonCancelled,
    OnOperatorPage,
    OnOperatorPageHelp,
    GoToOperator,
    Preparing,
    PreparingHelp,
    Checking,
    CheckingHelp,
    HandoverPaid,
    HandoverPaidHelp,
    HandoverFailedHelp,
}

impl Msg {
    /// Every message (for the catalogue's test).
    #[cfg(test)]
    pub const ALL: [Msg; 72] = [
        Msg::Title,
        Msg::PayTo,
        Msg::PaidTo,
        Msg::PaymentTo,
        Msg::Sandbox,
        Msg::ChooseOperator,
        Msg::Phone,
        Msg::PhoneHint,
        Msg::Pay,
        Msg::CancelPayment,
        Msg::Language,
        Msg::Total,
        Msg::Approve,
        Msg::ApproveHelp,
        Msg::TimeLeft,
        Msg::CheckNow,
        Msg::CancelOnPhone,
        Msg::SandboxApprove,
        Msg::SandboxRefuse,
        Msg::Paid,
        Msg::Receipt,
        Msg::Merchant,
        Msg::Amount,
        Msg::Reference,
        Msg::OperatorReference,
        Msg::PaidWith,
        Msg::Date,
        Msg::Continue,
        Msg::RedirectSoon,
        Msg::Failed,
        Msg::TryAgain,
        Msg::Expired,
        Msg::ExpiredHelp,
        Msg::Cancelled,
        Msg::CancelledHelp,
        Msg::BackToMerchant,
        Msg::NotFound,
        Msg::NotFoundHelp,
        Msg::FormExpired,
        Msg::ErrPhone,
        Msg::ErrPhoneCountry,
        Msg::ErrOperator,
        Msg::ErrOperatorGuess,
        Msg::ErrTooMany,
        Msg::ErrTooManyPhone,
        Msg::ErrTooManyIp,
        Msg::ErrClosing,
        Msg::ErrUnavailable,
        Msg::ErrGeneric,
        Msg::ErrNoPrompt,
        Msg::ReasonPayerNotFound,
        Msg::ReasonInsufficientBalance,
        Msg::ReasonDeclined,
        Msg::ReasonExpired,
        Msg::ReasonOtp,
        Msg::ReasonLimit,
        Msg::ReasonInProgress,
        Msg::ReasonNotAllowed,
        Msg::ReasonUnavailable,
        Msg::ReasonProviderError,
        Msg::ReasonReferenceExpired,
        Msg::ReasonCancelled,
        Msg::OnOperatorPage,
        Msg::OnOperatorPageHelp,
        Msg::GoToOperator,
        Msg::Preparing,
        Msg::PreparingHelp,
        Msg::Checking,
        Msg::CheckingHelp,
        Msg::HandoverPaid,
        Msg::HandoverPaidHelp,
        Msg::HandoverFailedHelp,
    ];

    /// The texts: French, Portuguese, English.
    const fn texts(self) -> [&'static str; 3] {
        match self {
            Msg::Title => ["Paiement", "Pagamento", "Payment"],
            Msg::PayTo => ["Payer {merchant}", "Pagar a {merchant}", "Pay {merchant}"],
            Msg::PaidTo => ["Payé à {merchant}", "Pago a {merchant}", "Paid to {merchant}"],
            Msg::PaymentTo => ["Paiement à {merchant}", "Pagamento a {merchant}", "Payment to {merchant}"],
            Msg::Sandbox => [
                "Mode test : aucun argent réel ne circule. Les numéros finissant par 029, 039, 049… échouent ; 009 attend votre réponse ici.",
                "Modo de teste: nenhum dinheiro real é movimentado. Números terminados em 029, 039, 049… falham; 009 espera a sua resposta aqui.",
                "Test mode: no real money moves. Numbers ending in 029, 039, 049… fail; 009 waits for your answer here.",
            ],
            Msg::ChooseOperator => ["Choisissez votre opérateur", "Escolha a sua operadora", "Choose your operator"],
            Msg::Phone => ["Numéro de téléphone", "Número de telefone", "Phone number"],
            Msg::PhoneHint => [
                "Le numéro qui paiera, par exemple {example}. Vous recevrez une demande de validation.",
                "O número que vai pagar, por exemplo {example}. Vai receber um pedido de confirmação.",
                "The number that will pay, for example {example}. You will get a request to approve.",
            ],
            Msg::Pay => ["Payer {amount}", "Pagar {amount}", "Pay {amount}"],
            Msg::CancelPayment => ["Annuler et revenir", "Cancelar e voltar", "Cancel and go back"],
            Msg::Language => ["Langue", "Idioma", "Language"],
            Msg::Total => ["Total", "Total", "Total"],
            Msg::Approve => [
                "Validez le paiement sur votre téléphone",
                "Confirme o pagamento no seu telefone",
                "Approve the payment on your phone",
            ],
            Msg::ApproveHelp => [
                "Une demande de {amount} a été envoyée au {phone} ({operator}). Entrez votre code secret sur le téléphone pour valider. Si rien n'arrive, composez le menu de votre opérateur et ouvrez les paiements en attente.",
                "Foi enviado um pedido de {amount} para o {phone} ({operator}). Introduza o seu PIN no telefone para confirmar. Se nada aparecer, marque o menu da sua operadora e abra os pagamentos pendentes.",
                "A request for {amount} was sent to {phone} ({operator}). Enter your PIN on the phone to approve. If nothing appears, dial your operator's menu and open pending payments.",
            ],
            Msg::OnOperatorPage => [
                "Payez sur la page {operator}",
                "Pague na página da {operator}",
                "Pay on {operator}'s page",
            ],
            Msg::OnOperatorPageHelp => [
                "Le paiement de {amount} se fait sur la page {operator}, qui vous ramène ici ensuite. Si vous l'avez quittée, reprenez-la :",
                "O pagamento de {amount} faz-se na página da {operator}, que o traz de volta aqui depois. Se a deixou, retome-a:",
                "You pay {amount} on {operator}'s page, which brings you back here afterwards. If you left it, go back to it:",
            ],
            Msg::GoToOperator => ["Continuer vers {operator}", "Continuar para {operator}", "Continue to {operator}"],
            Msg::Preparing => [
                "Préparation du paiement…",
                "A preparar o pagamento…",
                "Preparing your payment…",
            ],
            Msg::PreparingHelp => [
                "{operator} prépare la page où vous paierez {amount}. Cette page s'ouvrira dans un instant ; sinon, touchez le bouton.",
                "A {operator} está a preparar a página onde vai pagar {amount}. Abre dentro de instantes; se não, toque no botão.",
                "{operator} is preparing the page where you will pay {amount}. It opens in a moment; if not, tap the button.",
            ],
            Msg::Checking => [
                "Vérification du paiement…",
                "A verificar o pagamento…",
                "Checking your payment…",
            ],
            Msg::CheckingHelp => [
                "Nous demandons à {operator} si le paiement de {amount} a abouti. Cette page se met à jour toute seule.",
                "Estamos a perguntar à {operator} se o pagamento de {amount} foi feito. Esta página actualiza-se sozinha.",
                "We are asking {operator} whether the payment of {amount} went through. This page updates itself.",
            ],
            Msg::HandoverPaid => ["Paiement reçu", "Pagamento recebido", "Payment received"],
            Msg::HandoverPaidHelp => [
                "{amount} ont été payés par {operator}. Vous pouvez fermer cette page.",
                "{amount} foram pagos pela {operator}. Pode fechar esta página.",
                "{amount} was paid through {operator}. You may close this page.",
            ],
            Msg::HandoverFailedHelp => [
                "Le paiement de {amount} par {operator} n'a pas abouti. Aucun montant n'a été prélevé.",
                "O pagamento de {amount} pela {operator} não foi feito. Nenhum valor foi cobrado.",
                "The payment of {amount} through {operator} did not go through. Nothing was taken.",
            ],
            Msg::TimeLeft => ["Temps restant : {time}", "Tempo restante: {time}", "Time left: {time}"],
            Msg::CheckNow => ["J'ai validé : vérifier", "Já confirmei: verificar", "I have approved: check"],
            Msg::CancelOnPhone => [
                "Pour annuler, refusez la demande sur votre téléphone : cette page vous proposera ensuite de revenir chez le marchand.",
                "Para cancelar, recuse o pedido no seu telefone: esta página deixa-o depois voltar ao comerciante.",
                "To cancel, refuse the request on your phone: this page then lets you go back to the merchant.",
            ],
            Msg::SandboxApprove => ["Test : valider sur le téléphone", "Teste: confirmar no telefone", "Test: approve on the phone"],
            Msg::SandboxRefuse => ["Test : refuser sur le téléphone", "Teste: recusar no telefone", "Test: refuse on the phone"],
            Msg::Paid => ["Paiement reçu", "Pagamento recebido", "Payment received"],
            Msg::Receipt => ["Reçu", "Recibo", "Receipt"],
            Msg::Merchant => ["Marchand", "Comerciante", "Merchant"],
            Msg::Amount => ["Montant", "Montante", "Amount"],
            Msg::Reference => ["Référence", "Referência", "Reference"],
            Msg::OperatorReference => ["Référence opérateur", "Referência da operadora", "Operator reference"],
            Msg::PaidWith => ["Payé avec", "Pago com", "Paid with"],
            Msg::Date => ["Date", "Data", "Date"],
            Msg::Continue => ["Continuer chez {merchant}", "Continuar para {merchant}", "Continue to {merchant}"],
            Msg::RedirectSoon => [
                "Vous allez être redirigé dans quelques secondes.",
                "Vai ser redirecionado dentro de alguns segundos.",
                "You will be taken back in a few seconds.",
            ],
            Msg::Failed => ["Le paiement n'a pas abouti", "O pagamento não foi concluído", "The payment did not go through"],
            Msg::TryAgain => [
                "Vous pouvez réessayer, avec ce numéro ou un autre.",
                "Pode tentar de novo, com este número ou outro.",
                "You can try again, with this number or another.",
            ],
            Msg::Expired => ["Ce lien de paiement a expiré", "Este link de pagamento expirou", "This payment link has expired"],
            Msg::ExpiredHelp => [
                "Aucun argent n'a été pris. Revenez chez le marchand pour recommencer.",
                "Nenhum dinheiro foi cobrado. Volte ao comerciante para começar de novo.",
                "No money was taken. Go back to the merchant to start again.",
            ],
            Msg::Cancelled => ["Paiement annulé", "Pagamento cancelado", "Payment cancelled"],
            Msg::CancelledHelp => [
                "Aucun argent n'a été pris.",
                "Nenhum dinheiro foi cobrado.",
                "No money was taken.",
            ],
            Msg::BackToMerchant => ["Retour chez {merchant}", "Voltar para {merchant}", "Back to {merchant}"],
            Msg::NotFound => ["Lien de paiement inconnu", "Link de pagamento desconhecido", "Unknown payment link"],
            Msg::NotFoundHelp => [
                "Vérifiez le lien reçu du marchand.",
                "Verifique o link recebido do comerciante.",
                "Check the link the merchant gave you.",
            ],
            Msg::FormExpired => [
                "Ce formulaire a expiré. Rechargez la page et réessayez.",
                "Este formulário expirou. Recarregue a página e tente de novo.",
                "This form has expired. Reload the page and try again.",
            ],
            Msg::ErrPhone => [
                "Ce numéro n'est pas valide. Écrivez-le avec l'indicatif du pays, par exemple {example}.",
                "Este número não é válido. Escreva-o com o indicativo do país, por exemplo {example}.",
                "This number is not valid. Write it with the country code, for example {example}.",
            ],
            Msg::ErrPhoneCountry => [
                "Ce numéro ne peut pas payer avec cet opérateur. Exemple de numéro accepté : {example}.",
                "Este número não pode pagar com esta operadora. Exemplo de número aceite: {example}.",
                "This number cannot pay with this operator. An accepted number looks like {example}.",
            ],
            Msg::ErrOperator => ["Choisissez un opérateur.", "Escolha uma operadora.", "Choose an operator."],
            Msg::ErrOperatorGuess => [
                "Plusieurs opérateurs servent ce numéro : choisissez le vôtre.",
                "Várias operadoras servem este número: escolha a sua.",
                "Several operators serve this number: choose yours.",
            ],
            Msg::ErrTooMany => [
                "Trop de tentatives sur cette page. Revenez chez le marchand pour recommencer.",
                "Demasiadas tentativas nesta página. Volte ao comerciante para começar de novo.",
                "Too many attempts on this page. Go back to the merchant to start again.",
            ],
            Msg::ErrTooManyPhone => [
                "Trop de demandes envoyées à ce numéro. Attendez {minutes} minutes ou utilisez un autre numéro.",
                "Demasiados pedidos enviados para este número. Aguarde {minutes} minutos ou use outro número.",
                "Too many requests were sent to this number. Wait {minutes} minutes or use another number.",
            ],
            Msg::ErrTooManyIp => [
                "Trop de paiements lancés depuis ce réseau. Réessayez dans {minutes} minutes.",
                "Demasiados pagamentos iniciados a partir desta rede. Tente de novo daqui a {minutes} minutos.",
                "Too many payments were started from this network. Try again in {minutes} minutes.",
            ],
            Msg::ErrClosing => [
                "Ce lien expire dans moins de 30 secondes : trop peu de temps pour valider.",
                "Este link expira em menos de 30 segundos: pouco tempo para confirmar.",
                "This link expires in less than 30 seconds: too little time to approve.",
            ],
            Msg::ErrUnavailable => [
                "Le service est momentanément indisponible. Réessayez dans un instant.",
                "O serviço está temporariamente indisponível. Tente de novo daqui a pouco.",
                "The service is unavailable for a moment. Try again shortly.",
            ],
            Msg::ErrGeneric => [
                "Le paiement n'a pas pu démarrer : {detail}",
                "Não foi possível iniciar o pagamento: {detail}",
                "The payment could not start: {detail}",
            ],
            Msg::ErrNoPrompt => [
                "Aucune demande n'attend de réponse.",
                "Nenhum pedido espera resposta.",
                "No request is waiting for an answer.",
            ],
            Msg::ReasonPayerNotFound => [
                "Ce numéro n'a pas de compte chez cet opérateur.",
                "Este número não tem conta nesta operadora.",
                "This number has no account with this operator.",
            ],
            Msg::ReasonInsufficientBalance => [
                "Le solde du compte est insuffisant.",
                "O saldo da conta é insuficiente.",
                "There is not enough money in the account.",
            ],
            Msg::ReasonDeclined => [
                "Le paiement a été refusé sur le téléphone.",
                "O pagamento foi recusado no telefone.",
                "The payment was refused on the phone.",
            ],
            Msg::ReasonExpired => [
                "Le paiement n'a pas été validé à temps.",
                "O pagamento não foi confirmado a tempo.",
                "The payment was not approved in time.",
            ],
            Msg::ReasonOtp => ["Le code saisi est incorrect.", "O código introduzido está errado.", "The code entered was wrong."],
            Msg::ReasonLimit => [
                "Le plafond du compte est atteint.",
                "O limite da conta foi atingido.",
                "The account's limit has been reached.",
            ],
            Msg::ReasonInProgress => [
                "Un autre paiement est en cours sur ce numéro.",
                "Outro pagamento está em curso neste número.",
                "Another payment is in progress on this number.",
            ],
            Msg::ReasonNotAllowed => [
                "Ce compte ne peut pas faire ce paiement.",
                "Esta conta não pode fazer este pagamento.",
                "This account cannot make this payment.",
            ],
            Msg::ReasonUnavailable => [
                "L'opérateur est indisponible ; rien n'a été pris. Réessayez plus tard ou avec un autre opérateur.",
                "A operadora está indisponível; nada foi cobrado. Tente mais tarde ou com outra operadora.",
                "The operator is unavailable; nothing was taken. Try later or with another operator.",
            ],
            Msg::ReasonProviderError => [
                "L'opérateur a rencontré un problème.",
                "A operadora teve um problema.",
                "The operator had a problem.",
            ],
            Msg::ReasonReferenceExpired => ["La référence a expiré.", "A referência expirou.", "The reference has expired."],
            Msg::ReasonCancelled => ["Le paiement a été annulé.", "O pagamento foi cancelado.", "The payment was cancelled."],
        }
    }

    /// The failure reason in plain words.
    pub const fn reason(code: FailureCode) -> Msg {
        match code {
            FailureCode::PayerNotFound => Msg::ReasonPayerNotFound,
            FailureCode::InsufficientBalance => Msg::ReasonInsufficientBalance,
            FailureCode::PaymentDeclined => Msg::ReasonDeclined,
            FailureCode::PaymentExpired => Msg::ReasonExpired,
            FailureCode::InvalidOtp => Msg::ReasonOtp,
            FailureCode::PayerLimitReached => Msg::ReasonLimit,
            FailureCode::PaymentInProgress => Msg::ReasonInProgress,
            FailureCode::AccountNotAllowed => Msg::ReasonNotAllowed,
            FailureCode::ProviderUnavailable => Msg::ReasonUnavailable,
            FailureCode::ProviderError => Msg::ReasonProviderError,
            FailureCode::ReferenceExpired => Msg::ReasonReferenceExpired,
            FailureCode::Cancelled => Msg::ReasonCancelled,
        }
    }
}

/// The text of `msg` in `locale`.
pub const fn t(locale: Locale, msg: Msg) -> &'static str {
    let [fr, pt, en] = msg.texts();
    match locale {
        Locale::Fr => fr,
        Locale::Pt => pt,
        Locale::En => en,
    }
}

/// The text of `msg` with its `{name}` placeholders filled.
pub fn tf(locale: Locale, msg: Msg, args: &[(&str, &str)]) -> String {
    fill(t(locale, msg), args)
}

/// `text` with its `{name}` placeholders filled (every catalogue's `tf`).
pub(crate) fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut s = text.to_owned();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Checks a catalogue's texts (French, Portuguese, English, named for the failure message):
/// none empty, all three with the same placeholders.
#[cfg(test)]
pub(crate) fn assert_translated(name: &str, [fr, pt, en]: [&str; 3]) {
    fn placeholders(s: &str) -> Vec<&str> {
        let mut out: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split('}').next())
            .collect();
        out.sort_unstable();
        out
    }
    for text in [fr, pt, en] {
        assert!(!text.trim().is_empty(), "{name}");
    }
    assert_eq!(placeholders(fr), placeholders(en), "{name} fr");
    assert_eq!(placeholders(pt), placeholders(en), "{name} pt");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_translated_with_the_same_placeholders() {
        for m in Msg::ALL {
            assert_translated(&format!("{m:?}"), m.texts());
        }
        for c in FailureCode::ALL {
            assert!(Msg::ALL.contains(&Msg::reason(c)));
        }
        assert_eq!(
            tf(Locale::Pt, Msg::Pay, &[("amount", "5 000 XAF")]),
            "Pagar 5 000 XAF"
        );
    }
}
