// libFuzzer target: model references (repo ids, hf.co / endpoint URLs, revisions) as
// typed by a user or found in a pasted link; the first line is the reference, the
// second the --revision option.
#include "fuzz_util.h"
#include "hub/model_ref.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    qs::fuzz::ensureApp();
    const QString all = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    const qsizetype nl = all.indexOf('\n');
    const QString text = nl < 0 ? all : all.left(nl);
    const QString revision = nl < 0 ? QString() : all.mid(nl + 1);
    (void)qs::validateRepoId(text);
    (void)qs::validateRevision(revision);
    (void)qs::parseModelReference(text, revision, QStringLiteral("https://hub.example.org"));
    return 0;
}
