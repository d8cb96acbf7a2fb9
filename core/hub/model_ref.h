#pragma once
// Model references: what the user typed as REPO (WQ.md §1, HF_HUB.md §1, §11) turned
// into either a local path or a Hub repo + revision (+ folder / single file inside it).
//
// Accepted: an existing local folder or .safetensors file; `org/name`; URLs on
// huggingface.co, hf.co, hub-ci.huggingface.co (optionally www.) and the HF_ENDPOINT
// host (its path prefix stripped), scheme optional, optional /models/ prefix, the page
// forms /tree/<rev>[/dir], /blob|resolve|raw|blame/<rev>/<file> (refs/pr/N and
// refs/convert/X matched across their slashes, %2F decoded); and hf://[models/]org/name[@rev][/path].
// Refused with a usage Error (exit 1) whose message says what was expected: empty input,
// datasets/spaces URLs, other hosts, single-segment or listing pages, other page
// actions, invalid repo ids (§1 rules), a missing local path, conflicting revisions.
#include "common/result.h"

#include <QString>

namespace qs {

struct ModelRef {
    enum class Kind { Local, Hub };
    Kind kind = Kind::Hub;

    // Local: absolute, cleaned path of a folder or a .safetensors file.
    QString localPath;
    bool localIsFile = false;

    // Hub: canonical-looking id, the revision as given (default "main"), the folder
    // inside the repo holding the model ("" = root) and, for a file URL naming a
    // .safetensors file, that file's name inside subPath.
    QString repoId;
    QString revision;
    QString subPath;
    QString fileName;

    bool isLocal() const { return kind == Kind::Local; }
    // "org/name@main[/sub][/file]" or the local path.
    QString display() const;
};

// Repo id rules of HF_HUB.md §1: "namespace/name", parts of [A-Za-z0-9._-], not starting
// or ending with '.' or '-', no "--" or "..", name <= 96 chars and not ending in ".git".
Result<void> validateRepoId(const QString& id);
// Revision names are used in URLs (percent-encoded) and as file names in the HF cache's
// refs/: refuse empty, control characters, backslashes and "."/".." or empty segments.
Result<void> validateRevision(const QString& revision);

// revisionOption: the --revision value, or "" when not given (then the URL's revision,
// else "main"). A URL revision that differs from an explicit --revision is an error.
// endpoint: the HF_ENDPOINT base URL whose host is also accepted; "" reads HF_ENDPOINT.
Result<ModelRef> parseModelReference(const QString& text, const QString& revisionOption,
                                     const QString& endpoint = QString());

} // namespace qs
