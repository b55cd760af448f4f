/* Throwaway test PKI made at run time with OpenSSL: one CA (P-256) and one
 * server certificate it signs, for a loopback TLS fixture. */
#ifndef DOOR_TEST_HTTP_PKI_H
#define DOOR_TEST_HTTP_PKI_H

typedef struct t_pki {
  char *ca_pem;      /* CA certificate, PEM */
  char *cert_pem;    /* server certificate, PEM */
  char *key_pem;     /* server private key, PEM (PKCS#8) */
  char ca_path[256]; /* a temporary file holding ca_pem */
} t_pki;

/* `san` is an OpenSSL subjectAltName value, e.g. "IP:127.0.0.1".
 * Returns 0 on success. */
int t_pki_make(t_pki *p, const char *san);
void t_pki_free(t_pki *p);

#endif
