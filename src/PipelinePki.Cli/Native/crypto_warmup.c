/*
 * Loads OpenSSL's libcrypto on a second thread from the first instant of the process (Linux native AOT
 * only; linked in by PipelinePki.Cli.csproj). Loading and initialising libcrypto — relocations, config,
 * providers, the first EC verification — takes about 6 ms; started here it overlaps the runtime's own
 * start-up instead of following the command-line parse. The managed side verifies through the same
 * library (OpenSslDigestVerify) and finds it loaded and initialised, or waits on OpenSSL's own
 * one-time initialisation.
 *
 * Not started for a command line that only asks for help or the version, or that is empty.
 * Program.cs calls pipeline_pki_crypto_warmup_join() before the process exits: OpenSSL frees its state
 * in an exit handler, and exiting while this thread is inside libcrypto crashed the process.
 * PIPELINE_PKI_NO_WARMUP=1 turns it off (to measure the difference).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A P-256 key, and its ECDSA-SHA256 signature over WARMUP_DATA (openssl dgst -sha256 -sign). */
static const char WARMUP_DATA[] = "pipeline-pki crypto warm-up";
static const unsigned char WARMUP_KEY[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x80, 0xd6, 0x6c, 0xeb, 0x42,
    0x6c, 0x5b, 0xb4, 0xc8, 0x4c, 0x3a, 0xdd, 0x6a, 0x9b, 0xf9, 0x98, 0xb6, 0xae, 0xd5, 0x98, 0x98,
    0xac, 0xcb, 0xf5, 0xfa, 0xa1, 0x17, 0x5c, 0xf4, 0x57, 0x1e, 0x15, 0xf9, 0x88, 0x85, 0x16, 0x09,
    0x92, 0x4f, 0xe9, 0x6c, 0x30, 0xb4, 0x16, 0xef, 0x79, 0x96, 0x11, 0xd1, 0x3d, 0x8a, 0x17, 0x07,
    0x19, 0xeb, 0xb5, 0x91, 0x79, 0xcb, 0xd1, 0x92, 0x21, 0x1b, 0xdf,
};
static const unsigned char WARMUP_SIGNATURE[] = {
    0x30, 0x46, 0x02, 0x21, 0x00, 0xa7, 0xdb, 0x97, 0x61, 0x7d, 0x73, 0x70, 0x9f, 0x53, 0x17, 0xbd,
    0xc8, 0x2c, 0x9a, 0x9b, 0x43, 0x91, 0x42, 0x9a, 0x87, 0xec, 0x0e, 0xed, 0x7d, 0x7a, 0xfc, 0xe3,
    0x2c, 0x91, 0xab, 0x27, 0x64, 0x02, 0x21, 0x00, 0x8a, 0xac, 0xf7, 0x95, 0x16, 0x09, 0xeb, 0xe6,
    0xce, 0x7a, 0xc5, 0x4e, 0x75, 0x48, 0x95, 0xca, 0x00, 0xd4, 0xb8, 0x88, 0x0a, 0xf3, 0xf0, 0x9d,
    0xc5, 0xab, 0x64, 0x28, 0xc2, 0xa6, 0x71, 0xc3,
};

static pthread_t warmup_thread;
static int warmup_running;
static int warmup_verified;

typedef void *(*d2i_pubkey_fn)(void **, const unsigned char **, long);
typedef void (*free_fn)(void *);
typedef void *(*new_fn)(void);
typedef const void *(*md_fn)(void);
typedef int (*verify_init_fn)(void *, void **, const void *, void *, void *);
typedef int (*verify_fn)(void *, const unsigned char *, size_t, const unsigned char *, size_t);
typedef void (*clear_fn)(void);

static void *warm_up(void *unused)
{
    (void)unused;
    /* Kept loaded for the process's lifetime: the managed side opens the same library. */
    void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (crypto == NULL)
        return NULL;

    d2i_pubkey_fn d2i_pubkey = (d2i_pubkey_fn)dlsym(crypto, "d2i_PUBKEY");
    free_fn pkey_free = (free_fn)dlsym(crypto, "EVP_PKEY_free");
    new_fn md_ctx_new = (new_fn)dlsym(crypto, "EVP_MD_CTX_new");
    free_fn md_ctx_free = (free_fn)dlsym(crypto, "EVP_MD_CTX_free");
    md_fn sha256 = (md_fn)dlsym(crypto, "EVP_sha256");
    verify_init_fn verify_init = (verify_init_fn)dlsym(crypto, "EVP_DigestVerifyInit");
    verify_fn verify = (verify_fn)dlsym(crypto, "EVP_DigestVerify");
    clear_fn clear_errors = (clear_fn)dlsym(crypto, "ERR_clear_error");
    if (!d2i_pubkey || !pkey_free || !md_ctx_new || !md_ctx_free || !sha256 || !verify_init || !verify || !clear_errors)
        return NULL;

    const unsigned char *cursor = WARMUP_KEY;
    void *key = d2i_pubkey(NULL, &cursor, (long)sizeof WARMUP_KEY);
    void *context = md_ctx_new();
    if (key != NULL && context != NULL && verify_init(context, NULL, sha256(), NULL, key) == 1)
        warmup_verified = verify(context, WARMUP_SIGNATURE, sizeof WARMUP_SIGNATURE,
                                 (const unsigned char *)WARMUP_DATA, strlen(WARMUP_DATA)) == 1;
    if (context != NULL)
        md_ctx_free(context);
    if (key != NULL)
        pkey_free(key);
    clear_errors();
    return NULL;
}

static int only_help_or_version(int argc, char **argv)
{
    if (argc < 2 || argv == NULL)
        return 1;
    for (int i = 1; i < argc; i++)
    {
        const char *a = argv[i];
        if (a != NULL && (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "-?") || !strcmp(a, "/h") || !strcmp(a, "/?") || !strcmp(a, "--version")))
            return 1;
    }
    return 0;
}

/* glibc passes the program's arguments to constructors. */
__attribute__((constructor)) static void pipeline_pki_start_crypto_warmup(int argc, char **argv, char **envp)
{
    (void)envp;
    const char *off = getenv("PIPELINE_PKI_NO_WARMUP");
    if ((off != NULL && off[0] != '\0' && off[0] != '0') || only_help_or_version(argc, argv))
        return;
    warmup_running = pthread_create(&warmup_thread, NULL, warm_up, NULL) == 0;
}

/* Called by Program.cs before exit. Returns 1 when the known-answer verification succeeded. */
__attribute__((visibility("default"))) int pipeline_pki_crypto_warmup_join(void)
{
    if (warmup_running)
    {
        pthread_join(warmup_thread, NULL);
        warmup_running = 0;
    }
    return warmup_verified;
}
