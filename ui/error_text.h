#pragma once
// Turns an Error into the text the window shows: what failed (the core's message, which
// already names the file/tensor/field) plus the action a user can take, chosen from the
// kind of failure (missing path, not a model, gated/private repo, network, malformed
// file, bad reference, cancelled). Plain heuristics on the message; never throws.
#include "common/result.h"

#include <QString>

namespace qs {

// One short sentence: what the user can do next.
QString errorAdvice(const Error& error);
// "<b>context</b><br>message<br><i>advice</i>" (HTML-escaped) for labels and banners.
QString errorHtml(const QString& context, const Error& error);

} // namespace qs
