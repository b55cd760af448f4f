/* door-idp's admin API for the end-to-end suites: see idp_admin.h. */
#include "idp_admin.h"

#include "util/buf.h"

#include <curl/curl.h>

#include <stdio.h>

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  return door__buf_append((door_buf *)ud, p, sz * n) ? 0 : sz * n;
}

long idp_admin_call(const char *admin, const char *method, const char *path,
                    const char *json, json_t **out) {
  struct curl_slist *h = NULL;
  door_buf url, body;
  CURLcode rc = CURLE_OUT_OF_MEMORY;
  CURL *c = NULL;
  long status = -1;
  if (out)
    *out = NULL;
  door__buf_init(&url, 8192);
  door__buf_init(&body, (size_t)256 << 20);
  if (door__buf_puts(&url, admin) || door__buf_puts(&url, path) ||
      !(c = curl_easy_init()))
    goto out;
  curl_easy_setopt(c, CURLOPT_URL, door__buf_str(&url));
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  if (json) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    h = curl_slist_append(h, "Content-Type: application/json");
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  rc = curl_easy_perform(c);
  if (rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
out:
  if (rc != CURLE_OK) {
    printf("# admin %s %s: no response (%s)\n", method, path,
           curl_easy_strerror(rc));
    status = -1;
  } else {
    if (out && body.len)
      *out = json_loadb(body.data, body.len, 0, NULL);
    if (status >= 400)
      printf("# admin %s %s: %ld %s\n", method, path, status,
             door__buf_str(&body));
  }
  curl_slist_free_all(h);
  if (c)
    curl_easy_cleanup(c);
  door__buf_free(&url);
  door__buf_free(&body);
  return status;
}
