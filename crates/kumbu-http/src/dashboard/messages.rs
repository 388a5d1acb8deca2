//! The dashboard's message catalogue: every string a merchant's people read, in French,
//! Portuguese and English, side by side (a missing translation is a compile error), checked by
//! a test for empty texts and matching `{name}` placeholders, as the checkout's catalogue is.

use kumbu_core::{Locale, Role};

/// A message shown in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M {
    Dashboard,
    SignInTitle,
    Email,
    Password,
    SignInButton,
    SignInRefused,
    SignInWait,
    ForgotPassword,
    SecondFactorTitle,
    SecondFactorHelp,
    Code,
    CodeHint,
    Verify,
    CodeRefused,
    WelcomeTitle,
    WelcomeHelp,
    NewPassword,
    RepeatPassword,
    PasswordHint,
    PasswordsDiffer,
    SetPassword,
    LinkGone,
    PasswordSet,
    EnrolTitle,
    EnrolHelp,
    EnrolSecret,
    EnrolRequired,
    RecoveryTitle,
    RecoveryHelp,
    ContinueToDashboard,
    Home,
    People,
    Audit,
    Security,
    SignOut,
    SignOutEverywhere,
    SignedInAs,
    Balances,
    NoBalances,
    Currency,
    Available,
    Pending,
    Reported,
    TestData,
    LiveData,
    Role,
    Invite,
    InviteTitle,
    InviteLinkOnce,
    ChangeRole,
    Remove,
    RemoveConfirm,
    TwoFactorOn,
    TwoFactorOff,
    InvitationPending,
    You,
    When,
    Who,
    What,
    From,
    ExportCsv,
    Older,
    Sessions,
    SessionsHelp,
    RecoveryNew,
    NotPermitted,
    NotAllowed,
    FormExpired,
    Unavailable,
    Language,
    RoleOwner,
    RoleDeveloper,
    RoleFinance,
    RoleViewer,
}

impl M {
    /// Every message (for the catalogue's test).
    #[cfg(test)]
    pub const ALL: [M; 74] = [
        M::Dashboard,
        M::SignInTitle,
        M::Email,
        M::Password,
        M::SignInButton,
        M::SignInRefused,
        M::SignInWait,
        M::ForgotPassword,
        M::SecondFactorTitle,
        M::SecondFactorHelp,
        M::Code,
        M::CodeHint,
        M::Verify,
        M::CodeRefused,
        M::WelcomeTitle,
        M::WelcomeHelp,
        M::NewPassword,
        M::RepeatPassword,
        M::PasswordHint,
        M::PasswordsDiffer,
        M::SetPassword,
        M::LinkGone,
        M::PasswordSet,
        M::EnrolTitle,
        M::EnrolHelp,
        M::EnrolSecret,
        M::EnrolRequired,
        M::RecoveryTitle,
        M::RecoveryHelp,
        M::ContinueToDashboard,
        M::Home,
        M::People,
        M::Audit,
        M::Security,
        M::SignOut,
        M::SignOutEverywhere,
        M::SignedInAs,
        M::Balances,
        M::NoBalances,
        M::Currency,
        M::Available,
        M::Pending,
        M::Reported,
        M::TestData,
        M::LiveData,
        M::Role,
        M::Invite,
        M::InviteTitle,
        M::InviteLinkOnce,
        M::ChangeRole,
        M::Remove,
        M::RemoveConfirm,
        M::TwoFactorOn,
        M::TwoFactorOff,
        M::InvitationPending,
        M::You,
        M::When,
        M::Who,
        M::What,
        M::From,
        M::ExportCsv,
        M::Older,
        M::Sessions,
        M::SessionsHelp,
        M::RecoveryNew,
        M::NotPermitted,
        M::NotAllowed,
        M::FormExpired,
        M::Unavailable,
        M::Language,
        M::RoleOwner,
        M::RoleDeveloper,
        M::RoleFinance,
        M::RoleViewer,
    ];

    /// French, Portuguese and English.
    #[allow(clippy::too_many_lines, reason = "a catalogue: one arm per message")]
    const fn texts(self) -> [&'static str; 3] {
        match self {
            M::Dashboard => ["Tableau de bord", "Painel", "Dashboard"],
            M::SignInTitle => ["Connexion au tableau de bord Kumbu", "Entrar no painel Kumbu", "Sign in to the Kumbu dashboard"],
            M::Email => ["Adresse e-mail", "Endereço de e-mail", "E-mail address"],
            M::Password => ["Mot de passe", "Palavra-passe", "Password"],
            M::SignInButton => ["Se connecter", "Entrar", "Sign in"],
            M::SignInRefused => [
                "Adresse ou mot de passe incorrect.",
                "Endereço ou palavra-passe incorretos.",
                "Wrong address or password.",
            ],
            M::SignInWait => [
                "Trop d'essais. Réessayez dans {seconds} s.",
                "Demasiadas tentativas. Tente de novo dentro de {seconds} s.",
                "Too many tries. Try again in {seconds} s.",
            ],
            M::ForgotPassword => [
                "Mot de passe oublié ? Demandez à un propriétaire du compte un nouveau lien.",
                "Esqueceu a palavra-passe? Peça a um proprietário da conta um novo link.",
                "Forgot your password? Ask an owner of the account for a new link.",
            ],
            M::SecondFactorTitle => ["Vérification en deux étapes", "Verificação em dois passos", "Two-step verification"],
            M::SecondFactorHelp => [
                "Saisissez le code à six chiffres de votre application d'authentification, ou un code de secours.",
                "Introduza o código de seis dígitos da sua aplicação de autenticação, ou um código de recuperação.",
                "Type the six-digit code from your authenticator app, or a recovery code.",
            ],
            M::Code => ["Code", "Código", "Code"],
            M::CodeHint => ["Six chiffres, par exemple 123456", "Seis dígitos, por exemplo 123456", "Six digits, for example 123456"],
            M::Verify => ["Vérifier", "Verificar", "Verify"],
            M::CodeRefused => [
                "Ce code n'est pas bon : saisissez celui que votre application affiche maintenant.",
                "Este código não está certo: introduza o que a sua aplicação mostra agora.",
                "That code is not right: type the one your app shows now.",
            ],
            M::WelcomeTitle => ["Bienvenue sur Kumbu", "Bem-vindo ao Kumbu", "Welcome to Kumbu"],
            M::WelcomeHelp => [
                "Choisissez le mot de passe de {email} ({role}).",
                "Escolha a palavra-passe de {email} ({role}).",
                "Choose the password for {email} ({role}).",
            ],
            M::NewPassword => ["Nouveau mot de passe", "Nova palavra-passe", "New password"],
            M::RepeatPassword => ["Répétez le mot de passe", "Repita a palavra-passe", "Repeat the password"],
            M::PasswordHint => [
                "Au moins 10 caractères ; quelques mots font un bon mot de passe.",
                "Pelo menos 10 caracteres; algumas palavras fazem uma boa palavra-passe.",
                "At least 10 characters; a few words make a good password.",
            ],
            M::PasswordsDiffer => [
                "Les deux mots de passe diffèrent.",
                "As duas palavras-passe são diferentes.",
                "The two passwords differ.",
            ],
            M::SetPassword => ["Enregistrer le mot de passe", "Guardar a palavra-passe", "Save the password"],
            M::LinkGone => [
                "Ce lien ne fonctionne plus : il a déjà servi ou a expiré. Demandez-en un nouveau à un propriétaire du compte.",
                "Este link já não funciona: já foi usado ou expirou. Peça um novo a um proprietário da conta.",
                "This link no longer works: it was used or has expired. Ask an owner of the account for a new one.",
            ],
            M::PasswordSet => [
                "Mot de passe enregistré. Connectez-vous.",
                "Palavra-passe guardada. Entre.",
                "Password saved. Sign in.",
            ],
            M::EnrolTitle => ["Activer la vérification en deux étapes", "Ativar a verificação em dois passos", "Turn on two-step verification"],
            M::EnrolHelp => [
                "Ajoutez ce compte à une application d'authentification (Aegis, Google Authenticator, 1Password…) avec la clé ci-dessous, puis saisissez le code qu'elle affiche.",
                "Adicione esta conta a uma aplicação de autenticação (Aegis, Google Authenticator, 1Password…) com a chave abaixo, e introduza o código que ela mostra.",
                "Add this account to an authenticator app (Aegis, Google Authenticator, 1Password…) with the key below, then type the code it shows.",
            ],
            M::EnrolSecret => ["Clé", "Chave", "Key"],
            M::EnrolRequired => [
                "Les propriétaires doivent utiliser la vérification en deux étapes.",
                "Os proprietários têm de usar a verificação em dois passos.",
                "Owners must use two-step verification.",
            ],
            M::RecoveryTitle => ["Codes de secours", "Códigos de recuperação", "Recovery codes"],
            M::RecoveryHelp => [
                "Gardez ces codes en lieu sûr : chacun remplace une fois un code de l'application, si vous perdez votre téléphone. Ils ne seront plus affichés.",
                "Guarde estes códigos num lugar seguro: cada um substitui uma vez um código da aplicação, se perder o telemóvel. Não voltarão a ser mostrados.",
                "Keep these codes somewhere safe: each stands in once for an app code if you lose your phone. They will not be shown again.",
            ],
            M::ContinueToDashboard => ["Continuer vers le tableau de bord", "Continuar para o painel", "Continue to the dashboard"],
            M::Home => ["Accueil", "Início", "Home"],
            M::People => ["Personnes", "Pessoas", "People"],
            M::Audit => ["Journal d'audit", "Registo de auditoria", "Audit log"],
            M::Security => ["Sécurité", "Segurança", "Security"],
            M::SignOut => ["Se déconnecter", "Sair", "Sign out"],
            M::SignOutEverywhere => ["Se déconnecter partout", "Sair em todo o lado", "Sign out everywhere"],
            M::SignedInAs => ["Connecté : {email} ({role})", "Sessão de {email} ({role})", "Signed in as {email} ({role})"],
            M::Balances => ["Soldes", "Saldos", "Balances"],
            M::NoBalances => ["Aucun mouvement pour l'instant.", "Ainda sem movimentos.", "No money has moved yet."],
            M::Currency => ["Devise", "Moeda", "Currency"],
            M::Available => ["Disponible", "Disponível", "Available"],
            M::Pending => ["En attente", "Pendente", "Pending"],
            M::Reported => ["Déclaré", "Declarado", "Reported"],
            M::TestData => ["Données de test", "Dados de teste", "Test data"],
            M::LiveData => ["Données réelles", "Dados reais", "Live data"],
            M::Role => ["Rôle", "Função", "Role"],
            M::Invite => ["Inviter", "Convidar", "Invite"],
            M::InviteTitle => ["Inviter une personne", "Convidar uma pessoa", "Invite someone"],
            M::InviteLinkOnce => [
                "Envoyez ce lien à {email} par un moyen sûr. Il fonctionne 7 jours, une fois, et ne sera plus affiché :",
                "Envie este link a {email} por um meio seguro. Funciona 7 dias, uma vez, e não voltará a ser mostrado:",
                "Send this link to {email} by a channel you trust. It works for 7 days, once, and will not be shown again:",
            ],
            M::ChangeRole => ["Changer le rôle", "Mudar a função", "Change role"],
            M::Remove => ["Retirer", "Remover", "Remove"],
            M::RemoveConfirm => [
                "Je confirme le retrait de cette personne",
                "Confirmo a remoção desta pessoa",
                "I confirm removing this person",
            ],
            M::TwoFactorOn => ["Deux étapes : activée", "Dois passos: ativa", "Two-step: on"],
            M::TwoFactorOff => ["Deux étapes : désactivée", "Dois passos: desativada", "Two-step: off"],
            M::InvitationPending => ["Invitation en attente", "Convite pendente", "Invitation pending"],
            M::You => ["vous", "você", "you"],
            M::When => ["Quand", "Quando", "When"],
            M::Who => ["Qui", "Quem", "Who"],
            M::What => ["Quoi", "O quê", "What"],
            M::From => ["D'où", "De onde", "From"],
            M::ExportCsv => ["Exporter (CSV)", "Exportar (CSV)", "Export (CSV)"],
            M::Older => ["Plus anciens", "Mais antigos", "Older"],
            M::Sessions => ["Sessions ouvertes", "Sessões abertas", "Open sessions"],
            M::SessionsHelp => [
                "Se déconnecter partout ferme toutes vos sessions, celle-ci comprise.",
                "Sair em todo o lado fecha todas as suas sessões, incluindo esta.",
                "Signing out everywhere ends all your sessions, this one included.",
            ],
            M::RecoveryNew => ["Nouveaux codes de secours", "Novos códigos de recuperação", "New recovery codes"],
            M::NotPermitted => [
                "Votre rôle ({role}) ne le permet pas ; un propriétaire peut changer les rôles.",
                "A sua função ({role}) não o permite; um proprietário pode mudar as funções.",
                "Your role ({role}) does not allow this; an owner can change roles.",
            ],
            M::NotAllowed => [
                "Votre rôle ne le permet pas ; un propriétaire peut changer les rôles.",
                "A sua função não o permite; um proprietário pode mudar as funções.",
                "Your role does not allow this; an owner can change roles.",
            ],
            M::FormExpired => [
                "Ce formulaire a expiré. Rechargez la page et réessayez.",
                "Este formulário expirou. Recarregue a página e tente de novo.",
                "This form has expired. Reload the page and try again.",
            ],
            M::Unavailable => [
                "Le service est momentanément indisponible. Réessayez dans un instant.",
                "O serviço está momentaneamente indisponível. Tente de novo dentro de momentos.",
                "The service is briefly unavailable. Try again in a moment.",
            ],
            M::Language => ["Langue", "Idioma", "Language"],
            M::RoleOwner => ["propriétaire", "proprietário", "owner"],
            M::RoleDeveloper => ["développeur", "programador", "developer"],
            M::RoleFinance => ["finances", "finanças", "finance"],
            M::RoleViewer => ["lecteur", "leitor", "viewer"],
        }
    }

    /// A role's name.
    pub const fn role(r: Role) -> M {
        match r {
            Role::Owner => M::RoleOwner,
            Role::Developer => M::RoleDeveloper,
            Role::Finance => M::RoleFinance,
            Role::Viewer => M::RoleViewer,
        }
    }
}

/// The text of `msg` in `locale`.
pub const fn t(locale: Locale, msg: M) -> &'static str {
    let [fr, pt, en] = msg.texts();
    match locale {
        Locale::Fr => fr,
        Locale::Pt => pt,
        Locale::En => en,
    }
}

/// The text of `msg` with its `{name}` placeholders filled.
pub fn tf(locale: Locale, msg: M, args: &[(&str, &str)]) -> String {
    crate::pages::messages::fill(t(locale, msg), args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::messages::assert_translated;

    #[test]
    fn every_message_is_translated_with_the_same_placeholders() {
        for m in M::ALL {
            assert_translated(&format!("{m:?}"), m.texts());
        }
        for r in Role::ALL {
            assert!(M::ALL.contains(&M::role(r)));
        }
    }
}
