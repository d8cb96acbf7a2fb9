#pragma once
// QLineEdit's clear button is a tool button without a name for screen readers (and its
// icon actions too, unless their text is set): name it.
class QLineEdit;

namespace qs {

// setClearButtonEnabled(true) plus an accessible name ("Clear") for the button.
void enableNamedClearButton(QLineEdit* edit);

} // namespace qs
