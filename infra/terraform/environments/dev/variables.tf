variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "owner" {
  description = "Owner tag: the team that answers for the environment."
  type        = string
  default     = "platform-team"
}

variable "cost_center" {
  description = "CostCenter tag, for cost allocation."
  type        = string
  default     = "engineering"
}

variable "certificate_arn" {
  description = "ACM certificate for the ALB's HTTPS listener (issued in this region for the environment's host name)."
  type        = string
}

variable "image" {
  description = "Image the service is created with, REPOSITORY@sha256:DIGEST; push it first (docs/infrastructure.md). Later deploys belong to the pipeline."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses that get the alarms and budget notifications."
  type        = list(string)
  default     = []
}

variable "github_repository" {
  description = "owner/repo whose workflows deploy this environment through OIDC; null makes no deploy role."
  type        = string
  default     = null
}

variable "create_github_oidc_provider" {
  description = "Create GitHub's OIDC provider; false where another environment in the same account made it."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "The existing GitHub OIDC provider, when create_github_oidc_provider is false."
  type        = string
  default     = null
}

# Switches for runs against an emulator (infra/test applies dev to moto, which cannot
# register autoscaling targets or create budgets); production keeps the defaults.
variable "enable_autoscaling" {
  description = "Target-tracking autoscaling of the service."
  type        = bool
  default     = true
}

variable "enable_budget" {
  description = "The monthly cost budget."
  type        = bool
  default     = true
}

variable "enable_blue_green" {
  description = "Deploy through CodeDeploy blue/green instead of ECS rolling updates (a test listener on 8443 for the new version before traffic moves)."
  type        = bool
  default     = false
}

variable "ecr_replication_regions" {
  description = "Regions the image repository is replicated to; empty manages no replication."
  type        = list(string)
  default     = []
}

variable "terraform_state_bucket" {
  description = "The state bucket (bootstrap's bucket_name); with terraform_state_kms_key_arn it gives the environment the roles its deploy workflow runs Terraform with. scripts/infra sets it from TF_STATE_BUCKET."
  type        = string
  default     = null
}

variable "terraform_state_kms_key_arn" {
  description = "The state's KMS key (bootstrap's kms_key_arn). scripts/infra sets it from TF_STATE_KMS_KEY_ARN."
  type        = string
  default     = null
}

variable "ecr_pull_account_ids" {
  description = "The staging and prod accounts, when they are not this one: they pull dev's images to promote them."
  type        = list(string)
  default     = []
}
