/** Where a series comes in: drop a folder or zip, or pick a folder (upload-input) or a zip. */
import { useState, type DragEvent } from 'react';
import { droppedFiles } from './drop.js';

export function DropZone({ onFiles, disabled }: { onFiles: (files: File[]) => void; disabled?: boolean }) {
  const [over, setOver] = useState(false);
  // An empty folder gives no files: say so, or the drop looks ignored.
  const [empty, setEmpty] = useState(false);
  const take = (files: File[]) => {
    setEmpty(files.length === 0);
    if (files.length) onFiles(files);
  };

  async function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    take(await droppedFiles(e.dataTransfer));
  }

  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="upload-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void drop(e)}
    >
      <p>Drop the CT series here: a folder of DICOM files or a zip.</p>
      <div className="pickers">
        <label className="picker">
          Choose a folder
          <input
            data-testid="upload-input"
            type="file"
            multiple
            disabled={disabled}
            // React does not know webkitdirectory; set it as an attribute (Chromium, Firefox, Safari).
            {...{ webkitdirectory: '', directory: '' }}
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = '';
              take(files);
            }}
          />
        </label>
        <label className="picker">
          Choose a zip or files
          <input
            data-testid="upload-zip"
            type="file"
            multiple
            accept=".zip,.dcm,application/zip,application/dicom"
            disabled={disabled}
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = '';
              take(files);
            }}
          />
        </label>
      </div>
      {empty && (
        <p role="alert" data-testid="upload-empty">
          That held no files (an empty folder?): choose the folder or zip of the CT series.
        </p>
      )}
      <p className="hint">Nothing is sent yet: the files are read and anonymised in this browser first.</p>
    </div>
  );
}
