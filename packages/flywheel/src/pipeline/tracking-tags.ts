/** Tags on tracked runs that say which pipeline run (and step) they record. */
export const TAG_RUN = 'flywheel.run';
export const TAG_STEP = 'flywheel.step';
