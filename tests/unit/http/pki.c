/* Throwaway test PKI (see pki.h). */
#include "pki.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509_EXTENSION *ex;
  int ok;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ex)
    return 0;
  ok = X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
  return ok;
}

/* A certificate for `key` named `cn`, signed by issuer/issuer_key (itself
 * when issuer is NULL). */
static X509 *t_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                    EVP_PKEY *issuer_key, const char *san) {
  X509 *x = X509_new();
  BIGNUM *serial = BN_new();
  X509_NAME *name;
  int ok;
  ok = x && serial && X509_set_version(x, 2) &&
       BN_rand(serial, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
       BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
       X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
       X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, key);
  if (ok) {
    name = X509_get_subject_name(x);
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  }
  if (ok && !issuer)
    ok = t_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
         t_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         t_ext(x, x, NID_subject_key_identifier, "hash");
  if (ok && issuer)
    ok = t_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         t_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
         t_ext(x, issuer, NID_ext_key_usage, "serverAuth") &&
         t_ext(x, issuer, NID_subject_alt_name, san) &&
         t_ext(x, issuer, NID_subject_key_identifier, "hash") &&
         t_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
  if (ok)
    ok = X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
  BN_free(serial);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static char *t_bio_str(BIO *b) {
  char *p, *s;
  long n = BIO_get_mem_data(b, &p);
  if (n <= 0)
    return NULL;
  s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  memcpy(s, p, (size_t)n);
  s[n] = '\0';
  return s;
}

static char *t_cert_pem(X509 *x) {
  BIO *b = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (b && PEM_write_bio_X509(b, x))
    s = t_bio_str(b);
  BIO_free(b);
  return s;
}

static char *t_key_pem(EVP_PKEY *k) {
  BIO *b = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
    s = t_bio_str(b);
  BIO_free(b);
  return s;
}

static int t_write_temp(const char *text, char *path, size_t cap) {
  const char *dir = getenv("TMPDIR");
  size_t dl, n = strlen(text);
  int fd;
  FILE *f;
  static const char tmpl[] = "/doorauth-http-ca-XXXXXX";
  if (!dir || !*dir)
    dir = "/tmp";
  dl = strlen(dir);
  if (dl + sizeof tmpl > cap)
    return 0;
  memcpy(path, dir, dl);
  memcpy(path + dl, tmpl, sizeof tmpl);
  fd = mkstemp(path);
  if (fd < 0)
    return 0;
  f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return 0;
  }
  if (fwrite(text, 1, n, f) != n) {
    fclose(f);
    return 0;
  }
  return fclose(f) == 0;
}

int t_pki_make(t_pki *p, const char *san) {
  EVP_PKEY *ca_key = EVP_EC_gen("P-256");
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *ca = NULL, *leaf = NULL;
  int ok = 0;
  memset(p, 0, sizeof *p);
  if (!ca_key || !key)
    goto out;
  ca = t_cert(ca_key, "doorauth test CA", NULL, NULL, NULL);
  if (ca)
    leaf = t_cert(key, "doorauth test server", ca, ca_key, san);
  if (!leaf)
    goto out;
  p->ca_pem = t_cert_pem(ca);
  p->cert_pem = t_cert_pem(leaf);
  p->key_pem = t_key_pem(key);
  ok = p->ca_pem && p->cert_pem && p->key_pem &&
       t_write_temp(p->ca_pem, p->ca_path, sizeof p->ca_path);
out:
  X509_free(ca);
  X509_free(leaf);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  if (!ok)
    t_pki_free(p);
  return ok ? 0 : -1;
}

void t_pki_free(t_pki *p) {
  if (p->ca_path[0])
    unlink(p->ca_path);
  free(p->ca_pem);
  free(p->cert_pem);
  free(p->key_pem);
  memset(p, 0, sizeof *p);
}
