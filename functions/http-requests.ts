// HTTP: GET /api/requests (handler in src/http/api.ts).
import { app } from '@azure/functions';
import { httpRegistration } from '../src/composition';

app.http(...httpRegistration('requests'));
