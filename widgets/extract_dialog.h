// The "Extract from Model" dialog: a checkpoint (HF folder or llama2.c .bin), a prompt text (the
// bundled ones by type, or any file), the window (tokens, start), names and device; options()
// gives the core::ExtractOptions the main window runs as a background job. The capture name starts
// as the prompt type, numbered when the project already has that name. GUI thread only.
#pragma once

#include <QDialog>
#include <set>
#include <string>

#include "core/capture/capture_extract.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace kvwb::widgets {

class ExtractDialog : public QDialog {
  Q_OBJECT

 public:
  // `taken`: the open project's capture names, which the default name avoids.
  explicit ExtractDialog(std::set<std::string> taken = {}, QWidget* parent = nullptr);
  core::ExtractOptions options() const;

  QLineEdit* modelEdit() const { return m_model; }
  QComboBox* textCombo() const { return m_text; }
  QSpinBox* tokensSpin() const { return m_tokens; }

 private:
  void textChosen();

  QLineEdit* m_model;
  QComboBox* m_text;  // item data: the file path
  QSpinBox* m_tokens;
  QSpinBox* m_start;
  QLineEdit* m_name;
  QLineEdit* m_label;
  QComboBox* m_device;
  std::set<std::string> m_taken;
};

}  // namespace kvwb::widgets
