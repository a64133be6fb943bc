// HTTP: GET /api/health, anonymous: the dead-man's switch for availability tests (handler in src/http/api.ts).
import { app } from '@azure/functions';
import { httpRegistration } from '../src/composition';

app.http(...httpRegistration('health'));
