/*
 * Start-up prefault for the native AOT binary (Linux only; linked into the executable by
 * PipelinePki.Cli.csproj, see the PrefaultObject target).
 *
 * Why: native AOT keeps its type-system data (method tables, dispatch maps, frozen objects) in a
 * compressed ("dehydrated") form and writes it out at start-up into the zero-initialised
 * `.hydrated` section, which for this binary is about 6 MB. Touching that region page by page costs
 * one page fault per 4 KiB page: ~1,500 faults, which on a virtual machine (where each fault is a
 * trap) were 40% of a `cert verify` — a CI step pays that on every invocation.
 *
 * What: before main() runs, ask the kernel to back the executable's zero-initialised data (.bss and
 * .hydrated: the part of the writable PT_LOAD segment beyond its file contents) with transparent
 * huge pages where it can (MADV_HUGEPAGE; a no-op when THP is disabled) and to populate it in one
 * call (MADV_POPULATE_WRITE, Linux 5.14+). Every failure is ignored: on older kernels or with THP
 * off the process simply takes the page faults as before. Nothing here changes program behaviour,
 * only when the memory is faulted in.
 *
 * hydrated.ld puts .hydrated on 2 MiB boundaries so all of it can be huge pages; without that script
 * (another linker), the whole zero-initialised part of the writable segment is populated instead.
 *
 * PIPELINE_PKI_NO_PREFAULT=1 turns it off (to measure the difference; see bench/verify.sh).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Bounds of .hydrated when hydrated.ld placed it on 2 MiB boundaries; absent (null) otherwise. */
extern char __pipeline_pki_hydrated_start[] __attribute__((weak, visibility("hidden")));
extern char __pipeline_pki_hydrated_end[] __attribute__((weak, visibility("hidden")));

static void populate(uintptr_t start, uintptr_t end)
{
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

static int prefault_executable_bss(struct dl_phdr_info *info, size_t size, void *unused)
{
    (void)size;
    (void)unused;
    /* The first object reported is the executable itself (empty name); shared libraries are not ours. */
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0')
        return 0;

    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W) == 0 || segment->p_memsz <= segment->p_filesz)
            continue;

        /* Only whole pages past the file-backed part: that is anonymous memory, never file contents. */
        uintptr_t start = info->dlpi_addr + segment->p_vaddr + segment->p_filesz;
        uintptr_t end = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
        start = (start + page - 1) & ~(page - 1);
        end = (end + page - 1) & ~(page - 1);
        if (end <= start)
            continue;

        populate(start, end);
    }
    return 1; /* the executable is done: stop iterating */
}

__attribute__((constructor)) static void pipeline_pki_prefault(void)
{
    const char *off = getenv("PIPELINE_PKI_NO_PREFAULT");
    if (off != NULL && off[0] != '\0' && off[0] != '0')
        return;
    uintptr_t start = (uintptr_t)__pipeline_pki_hydrated_start;
    uintptr_t end = (uintptr_t)__pipeline_pki_hydrated_end;
    if (start != 0 && end > start)
    {
        /* Only .hydrated, whole huge pages; .bss and the alignment padding fault in as used. */
        populate(start, end);
        return;
    }
    dl_iterate_phdr(prefault_executable_bss, NULL);
}
