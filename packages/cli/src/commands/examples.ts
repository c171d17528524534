/** Examples shown at the end of each command's `--help` (one line each, as typed in a shell). */
export const EXAMPLES: Record<string, string[]> = {
  convert: [
    'scan2print convert ct/head/ -o skull.3mf --report report.json --html report.html',
    'scan2print convert study.zip -o skull.3mf -o skull.stl --threshold 300 --purpose "cranioplasty plan"',
    'scan2print convert ct/head/ -o m.stl --thresholds 226,400 --labels-out labels.nii.gz   # m_t226.stl, m_t400.stl',
    'scan2print convert ct/head/ -o skull.3mf --decimate-ratio 0.2 --smooth-method taubin',
    'scan2print convert ct/pelvis/ -o hips.3mf --method threshold-forest --anatomy hip_left,hip_right   # bone named by the forest',
  ],
  demo: ['scan2print demo -o out', 'scan2print demo -o out --json > report.json'],
  segment: [
    'scan2print segment ct/head/ -o skull.nii.gz --remove-table --keep largest --fill-holes',
    'scan2print segment volume.nii.gz -o bone.nii.gz --thresholds 150,226,300 --json',
  ],
  mesh: [
    'scan2print mesh skull.nii.gz -o skull.3mf',
    'scan2print mesh skull.nii.gz --field volume.nii.gz --level 400 -o skull.stl --decimate 200000',
  ],
  evaluate: ['scan2print evaluate --ref reference.nii.gz --ref-labels 25-50,69-78 --seg bone.nii.gz --json'],
  inspect: ['scan2print inspect ct/head/', 'scan2print inspect study.zip --series 3 --json'],
  'export-volume': ['scan2print export-volume ct/head/ -o volume.nii.gz'],
  anonymise: [
    'scan2print anonymise ct/head/ -o upload/            # key in ~/.config/scan2print/project.key',
    'scan2print anonymise study.zip -o upload/ --key-file ~/keys/hospital.key',
  ],
  validate: ['scan2print validate', 'scan2print validate --phantom plate --voxel 0.6,0.6,1.25 --json', 'scan2print validate --mesh model.3mf --labels labels.nii.gz'],
};
