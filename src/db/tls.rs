//! TLS to Postgres, with libpq's `sslmode` meanings.
//!
//! | `sslmode` | encrypts | verifies the chain | verifies the host name |
//! |---|---|---|---|
//! | `disable` | no | | |
//! | `prefer` (default) | if the server offers it | no | no |
//! | `require` | yes | no | no |
//! | `verify-ca` | yes | yes | no |
//! | `verify-full` | yes | yes | yes |
//!
//! tokio-postgres parses only the first three, so the two `verify-*` modes are taken
//! off the URL here, handed to tokio-postgres as `require`, and enforced by the
//! certificate verifier. Trusted roots are the system's plus the PEM bundle in
//! `APP_DB_CA_FILE` (the RDS CA bundle in production).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt when the server offers it, without verifying it.
    Prefer,
    /// Encrypt, without verifying the server.
    Require,
    /// Encrypt, and verify the server's certificate chain.
    VerifyCa,
    /// Encrypt, verify the chain, and verify that it names the host connected to.
    VerifyFull,
}

/// Takes `sslmode` off a Postgres URL: returns the URL as tokio-postgres can parse it,
/// and the mode to enforce.
pub fn split_ssl_mode(url: &str) -> anyhow::Result<(String, SslMode)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), SslMode::Prefer));
    };
    let mut mode = SslMode::Prefer;
    let mut kept = Vec::new();
    for parameter in query.split('&') {
        let Some(value) = parameter.strip_prefix("sslmode=") else {
            kept.push(parameter.to_owned());
            continue;
        };
        mode = match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => bail!(
                "sslmode in DATABASE_URL must be disable, prefer, require, verify-ca or verify-full"
            ),
        };
        let understood = match mode {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
        };
        kept.push(format!("sslmode={understood}"));
    }
    Ok((format!("{base}?{}", kept.join("&")), mode))
}

/// The TLS connector for `mode`, trusting the system roots and `ca_file`.
pub fn connector(mode: SslMode, ca_file: Option<&Path>) -> anyhow::Result<MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => Arc::new(EncryptOnly {
            algorithms: provider.signature_verification_algorithms,
        }),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(ca_file)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .context("cannot build the certificate verifier")?;
            if mode == SslMode::VerifyCa {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version is available")?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The system's roots and the certificates of `ca_file`.
fn roots(ca_file: Option<&Path>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    // A system without a CA store still works with APP_DB_CA_FILE alone.
    for certificate in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(certificate);
    }
    if let Some(path) = ca_file {
        let certificates = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read APP_DB_CA_FILE {}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("APP_DB_CA_FILE {} is not a PEM bundle", path.display()))?;
        if certificates.is_empty() {
            bail!("APP_DB_CA_FILE {} holds no certificate", path.display());
        }
        for certificate in certificates {
            roots.add(certificate).with_context(|| {
                format!(
                    "APP_DB_CA_FILE {} holds an invalid certificate",
                    path.display()
                )
            })?;
        }
    }
    Ok(roots)
}

/// `require`: encrypts, and checks that the server holds the key of the certificate it
/// shows, but trusts any certificate, as libpq does.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full verification, except that the certificate need not name the
/// host connected to.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_are_taken_off_the_url() {
        let (url, mode) =
            split_ssl_mode("postgres://u:p@db/app?sslmode=verify-full&connect_timeout=3")
                .expect("valid");
        assert_eq!(mode, SslMode::VerifyFull);
        assert_eq!(
            url,
            "postgres://u:p@db/app?sslmode=require&connect_timeout=3"
        );

        let (url, mode) = split_ssl_mode("postgres://db/app").expect("valid");
        assert_eq!((url.as_str(), mode), ("postgres://db/app", SslMode::Prefer));
        assert_eq!(
            split_ssl_mode("postgres://db/app?sslmode=verify-ca")
                .expect("valid")
                .1,
            SslMode::VerifyCa
        );
        assert!(split_ssl_mode("postgres://db/app?sslmode=maybe").is_err());
    }
}
