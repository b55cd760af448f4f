/* Public test vectors from RFC 7515 (Appendix A) and RFC 7520 (section 4),
 * copied as printed there. */
#ifndef DOOR_TEST_JOSE_VECTORS_H
#define DOOR_TEST_JOSE_VECTORS_H

/* RFC 7515 A.1: HS256. */
#define RFC7515_A1_K                                                           \
  "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuT"  \
  "wjAzZr1Z9CAow"
#define RFC7515_PAYLOAD_B64                                                    \
  "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvb"  \
  "S9pc19yb290Ijp0cnVlfQ"
#define RFC7515_A1_JWS                                                         \
  "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64              \
  ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* RFC 7515 A.2: RS256. */
#define RFC7515_A2_N                                                           \
  "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPC"  \
  "JrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soM"  \
  "Zo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2C"  \
  "apHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NA"  \
  "co9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_JWS                                                         \
  "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64                                  \
  ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4B"  \
  "h-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZL"  \
  "grnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO-"  \
  "-xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6Lbg"  \
  "GY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

/* RFC 7515 A.3: ES256 (the RFC prints one fixed signature). */
#define RFC7515_A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define RFC7515_A3_JWS                                                         \
  "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64                                  \
  ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKT"  \
  "UJqPP3-Kg6NU1Q"

/* RFC 7520 section 3.4: the RSA key of the examples (kid
 * bilbo.baggins@hobbiton.example). */
#define RFC7520_RSA_N                                                          \
  "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDv"  \
  "Nd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQL"  \
  "rHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJl"  \
  "sde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mz"  \
  "SnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"
#define RFC7520_RSA_D                                                          \
  "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS"  \
  "-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_"  \
  "qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq"  \
  "1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfS"  \
  "JdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ"
#define RFC7520_RSA_P                                                          \
  "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2T"  \
  "DjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsr"  \
  "mndH6LxOrvRJlsPp6Zv8bUq0k"
#define RFC7520_RSA_Q                                                          \
  "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqD"  \
  "yI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hd"  \
  "qRxHlSqAZ192zB3pVFJ0s7pFc"
#define RFC7520_RSA_DP                                                         \
  "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-Ta"  \
  "nevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5x"  \
  "WHoJp009Qf1HvChixRX59ehik"
#define RFC7520_RSA_DQ                                                         \
  "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLS"  \
  "M0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4"  \
  "c_Z11Cq9AqC2yeL6kdKT1cYF8"
#define RFC7520_RSA_QI                                                         \
  "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_"  \
  "jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ"  \
  "6h6ZEpMF6xmujs4qMpPz8aaI4"
#define RFC7520_KID "bilbo.baggins@hobbiton.example"
#define RFC7520_PAYLOAD_B64                                                    \
  "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vc"  \
  "i4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZm"  \
  "VldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB"  \
  "0by4"
/* 4.1: RS256 */
#define RFC7520_41_JWS                                                         \
  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"   \
  "." RFC7520_PAYLOAD_B64                                                      \
  ".MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U"  \
  "4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0Rnl"  \
  "tuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV" \
  "0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZD"  \
  "nd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg"
/* 4.2: PS384 (unsupported) */
#define RFC7520_42_JWS                                                         \
  "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"   \
  "." RFC7520_PAYLOAD_B64                                                      \
  ".cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6V"  \
  "rklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz"  \
  "28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2"  \
  "lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKP"  \
  "bByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw"
/* 4.3: ES512 (unsupported) */
#define RFC7520_43_JWS                                                         \
  "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"   \
  "." RFC7520_PAYLOAD_B64                                                      \
  ".AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRT"  \
  "zoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKB"  \
  "pHABlsbEPX6sFY8OcGDqoRuBomu9xQ2"
/* 4.4: HS256 */
#define RFC7520_HMAC_K "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"
#define RFC7520_HMAC_KID "018c0ae5-4d9b-471b-bfd6-eef314bc7037"
#define RFC7520_44_JWS                                                         \
  "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjN"  \
  "zAzNyJ9." RFC7520_PAYLOAD_B64                                               \
  ".s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"

/* PS256: no RFC prints one, so this vector was made once with the RFC 7520
 * RSA key above (written as PKCS#8 PEM) and the OpenSSL 3.0 CLI:
 *   printf %s "$HEADER.$PAYLOAD" > input
 *   openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
 *     -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 \
 *     -sign rfc7520.pem -out sig input
 * then checked with `openssl dgst ... -verify`.  Header
 * {"alg":"PS256","kid":"bilbo.baggins@hobbiton.example"}, payload
 * {"iss":"https://idp.example","sub":"ps256-vector"}. */
#define PS256_VECTOR_JWS                                                       \
  "eyJhbGciOiJQUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"   \
  ".eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoicHMyNTYtdmVjdG9yIn0.cVY"   \
  "fnyYktUxyFTOO9Jg-sT4O-mdmAVny5-D7CPCseAxfZDkdBhXfw_MiOSdvizw3K4tcFcKrC4J"   \
  "Ety2DbWf6n7cYYVyBJSCoEyuxTFJTX0vFT3pgivZMEjOCgs9xfHCd4mTtcoEyIAxSatErW-8"   \
  "Lp6MaaHaZ2kS9_et_LErXrY7xACTkb3JMyKoDevTUBquas4jd3GHQljZDM0Xh6A3xZQqXZ11"   \
  "GoOLbQvMl2alAaEmlqfrx2_k_4PCYdovZEB6w0R47P0kO0gPA0S0IhHB1rHL98L83308mTH0"   \
  "u2vbZPPuVqxqGULKxAy_efk1sT2yn1lP0MfqW9qp7O3pHGw6zcQ"

#endif
