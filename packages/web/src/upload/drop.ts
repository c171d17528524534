/**
 * Files from a drag and drop: a dropped folder arrives as a directory entry, whose files are
 * read recursively (FileSystemDirectoryEntry, Chromium/Firefox/Safari); dropped files and zips
 * arrive as they are. Each file gets its path inside the dropped folder for messages.
 */
function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    // readEntries returns at most ~100 entries per call: call until it returns none.
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function filesOf(entry: FileSystemEntry): Promise<File[]> {
  if (entry.isFile) {
    return [await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))];
  }
  if (entry.isDirectory) {
    const out: File[] = [];
    for (const child of await readAll(entry as FileSystemDirectoryEntry)) out.push(...(await filesOf(child)));
    return out;
  }
  return [];
}

export async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  // Entries must be taken synchronously, before the first await (the DataTransfer empties after the event).
  const entries = Array.from(dt.items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return Array.from(dt.files);
  const out: File[] = [];
  for (const e of entries) out.push(...(await filesOf(e)));
  return out;
}
