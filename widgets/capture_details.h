// The details panel for one capture: its layout (layers, heads, tokens, head dim, tensors, storage)
// and its metadata (model, prompt label, source files, ...) plus the full metadata JSON.
// GUI thread only; shows a copy of the CaptureInfo it is given.
#pragma once

#include <QWidget>
#include <string>
#include <utility>
#include <vector>

#include "core/project/project_types.h"

class QFormLayout;
class QLabel;
class QPlainTextEdit;

namespace kvwb::widgets {

class CaptureDetails : public QWidget {
  Q_OBJECT

 public:
  explicit CaptureDetails(QWidget* parent = nullptr);

  void showCapture(const core::CaptureInfo& capture);
  void clear();  // back to the "select a capture" hint

 private:
  QLabel* addField(QFormLayout* form, const QString& label);
  void setMetaField(QLabel* field, const QString& text);  // hides the row when empty

  QLabel* m_hint;
  QWidget* m_body;
  QLabel* m_title;
  QFormLayout* m_layoutForm;
  QFormLayout* m_metaForm;
  QLabel* m_shape;
  QLabel* m_heads;
  QLabel* m_tensors;
  QLabel* m_storage;
  std::vector<std::pair<std::string, QLabel*>> m_metaFields;  // metadata key -> its field
  QPlainTextEdit* m_json;
};

}  // namespace kvwb::widgets
