#include "widgets/line_edit_buttons.h"

#include <QAction>
#include <QCoreApplication>
#include <QLineEdit>

namespace qs {

void enableNamedClearButton(QLineEdit* edit)
{
    edit->setClearButtonEnabled(true);
    // The action Qt creates for the button (its tool button shows the action's text as
    // its accessible name).
    if (auto* clear = edit->findChild<QAction*>(QStringLiteral("_q_qlineeditclearaction")))
        clear->setText(QCoreApplication::translate("LineEdit", "Clear"));
}

} // namespace qs
