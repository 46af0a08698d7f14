"""Where the tracker's FHIR resources live: canonical URLs, ids and references."""

from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LANGUAGE = "urn:ietf:bcp:47"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
SUPPORTING_INFO = "http://hl7.org/fhir/StructureDefinition/workflow-supportingInfo"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"


@dataclass(frozen=True)
class FhirLinks:
    """The addresses of one clinic's resources on this deployment."""

    base_url: str  # PUBLIC_BASE_URL
    clinic_id: int

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url}/api/v1/fhir"

    @property
    def code_system(self) -> str:
        return f"{self.fhir_base}/CodeSystem/followup"

    @property
    def questionnaire(self) -> str:
        return f"{self.fhir_base}/Questionnaire/checkin"

    @property
    def patient_ids(self) -> str:
        """The identifier system of the clinic's own patient numbers (external_id)."""
        return f"{self.base_url}/clinics/{self.clinic_id}/external-ids"

    @property
    def staff_ids(self) -> str:
        """The identifier system of the clinic's staff accounts (user ids)."""
        return f"{self.base_url}/clinics/{self.clinic_id}/staff"

    def staff(self, user_id: int | None, name: str | None) -> dict | None:
        """A logical reference to a member of staff, who has no resource of their own."""
        if user_id is None:
            return None
        return {
            "type": "Practitioner",
            "identifier": {"system": self.staff_ids, "value": str(user_id)},
            "display": name,
        }

    def full_url(self, content: dict) -> str:
        """The address of a resource, given its JSON."""
        return f"{self.fhir_base}/{content['resourceType']}/{content['id']}"


def resource_id(resource_type: str, row_id: int, suffix: str = "") -> str:
    """A stable id from the row's id: patient-12, observation-40-pain."""
    return f"{resource_type.lower()}-{row_id}" + (f"-{suffix}" if suffix else "")


def reference(resource_type: str, row_id: int, suffix: str = "") -> dict:
    """A relative reference to a resource of this tracker: {"reference": "Patient/patient-12"}."""
    return {"reference": f"{resource_type}/{resource_id(resource_type, row_id, suffix)}"}
